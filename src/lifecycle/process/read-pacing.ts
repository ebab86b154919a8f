/**
 * When the next read of a child's output may come, after each read. Pure: it is told the bytes
 * each read brought and when, and says how long to wait.
 *
 * A runner that prints one short line per write (PYTHONUNBUFFERED=1) wakes its reader for every
 * few lines if it reads at once; waiting READ_PAUSE_MS after a short read lets lines gather in the
 * pipe instead (100 MB of 100-byte lines: 3.1 s of the background supervisor's CPU read at once,
 * 0.7 s with the pauses). But the pipe holds 64 KiB: a runner that writes more than that per pause
 * fills it, and then waits for us (100 MB of 1 KB lines: 1.36 s, 3.8× as long as through `| cat`,
 * with a pause after every short read). So there is no pause while output comes that fast (the
 * same flood: 0.44 s, 1.24×).
 */
export class ReadPacing {
  private windowStart = 0;
  private windowBytes = 0;
  private fast = false;

  /** The wait before the next read, in ms (0: at once), after a read of `bytes` at `now` (ms). */
  afterRead(bytes: number, now: number): number {
    this.windowBytes += bytes;
    const elapsed = now - this.windowStart;
    if (elapsed >= RATE_WINDOW_MS) {
      this.fast = this.windowBytes / elapsed >= FAST_BYTES_PER_MS;
      this.windowStart = now;
      this.windowBytes = 0;
    }
    return !this.fast && bytes < SHORT_READ_BYTES ? READ_PAUSE_MS : 0;
  }
}

/** A read shorter than this found little waiting: the runner writes slowly, or in short lines. */
export const SHORT_READ_BYTES = 16 * 1024;
export const READ_PAUSE_MS = 1;
/**
 * Output at this rate or more fills three quarters of a 64 KiB pipe in one pause (which takes
 * 1.1-1.5 ms with the timer's lateness): the runner would soon wait for us.
 */
export const FAST_BYTES_PER_MS = 48 * 1024;
/** How often the rate is looked at again. */
export const RATE_WINDOW_MS = 10;
