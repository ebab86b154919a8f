/**
 * When the next read of a child's output may come, after each read. Pure: it is told the bytes
 * each read brought, when, and how much the pipe holds, and says how long to wait.
 *
 * A runner that prints one short line per write (PYTHONUNBUFFERED=1) wakes its reader for every
 * few lines if it reads at once; waiting READ_PAUSE_MS after a short read lets lines gather in the
 * pipe instead (100 MB of 100-byte lines: 3.1 s of the background supervisor's CPU read at once,
 * 0.7 s with the pauses). But a pipe of 64 KiB is full within a pause of a runner that writes
 * faster than that, and then the runner waits for us (100 MB of 1 KB lines: 1.36 s, 3.8× as long
 * as through `| cat`, with a pause after every read under 16 KiB). So there is no pause while
 * output comes fast enough to fill three quarters of the pipe in one, or once a read finds it that
 * full; that is when the component has the pipe raised to 1 MiB (pipe-capacity.ts), after which
 * the same flood is read with pauses again, but only after the reads that find less than
 * SHORT_READ_BYTES waiting.
 */
export class ReadPacing {
  private windowStart = 0;
  private windowBytes = 0;
  private fast = false;

  /** The wait before the next read, in ms (0: at once), after a read of `bytes` at `now` (ms) from a pipe that holds `capacity` bytes. */
  afterRead(bytes: number, now: number, capacity: number): number {
    this.windowBytes += bytes;
    const elapsed = now - this.windowStart;
    if (elapsed >= RATE_WINDOW_MS) {
      this.fast = this.windowBytes / elapsed >= fastBytesPerMs(capacity);
      this.windowStart = now;
      this.windowBytes = 0;
    }
    // The pipe was three quarters full by this read: no need to wait for the window to say so.
    // A flood's pipe is then raised up to RATE_WINDOW_MS sooner (flood workload 1.53x -> 1.39x of
    // its floor, 10 turns in a throwaway build).
    if (bytes >= fillingReadBytes(capacity)) this.fast = true;
    return !this.fast && bytes < SHORT_READ_BYTES ? READ_PAUSE_MS : 0;
  }

  /** The output comes fast enough to fill the pipe in a pause (as of the last window): the runner waits for us. */
  get filling(): boolean {
    return this.fast;
  }
}

/**
 * A read shorter than this found little waiting: the runner writes slowly, or in short lines. Not
 * more: in a flood of 1 KB lines the reader is the slower side, and the reads after it has caught
 * up for a moment bring 8-16 KB; with 16 KiB here a pause followed each of them, and the flood took
 * ~7 % longer (bench, in turns: 251 → 234 ms median over 16 floods, for 20 ms more CPU: 170 → 190
 * ms). Lines of 100 bytes still leave reads under 4 KiB after a drain, so their pauses, and the
 * CPU they save, stay (log capture's CPU: 350 → 320-340 ms).
 */
export const SHORT_READ_BYTES = 4 * 1024;
export const READ_PAUSE_MS = 1;
/**
 * Output at this rate or more fills three quarters of the pipe in one pause (which takes 1.1-1.5
 * ms with the timer's lateness): the runner would soon wait for us. 48 KiB per ms for 64 KiB.
 */
export function fastBytesPerMs(capacity: number): number {
  return fillingReadBytes(capacity) / READ_PAUSE_MS;
}
/** A read this big found the pipe three quarters full. */
export function fillingReadBytes(capacity: number): number {
  return (capacity * 3) / 4;
}
/** How often the rate is looked at again. */
export const RATE_WINDOW_MS = 10;
