import { formatDuration } from "../../cli/duration.ts";
import { StigmerError } from "../../cli/errors.ts";
import { out } from "../../cli/output.ts";
import type { DaemonCheck } from "../../daemon/health.ts";

/** How the wait shows progress: one line redrawn on a terminal, a line now and then elsewhere. */
export interface ProgressLine {
  update(text: string): void;
  done(): void;
}

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const PLAIN_EVERY_MS = 5000;

export function progressLine(stream: NodeJS.WriteStream = process.stderr): ProgressLine {
  if (stream.isTTY) {
    let frame = 0;
    let drawn = false;
    return {
      update(text) {
        stream.write(`\r\u001B[2K${SPINNER[frame++ % SPINNER.length]} ${text}`);
        drawn = true;
      },
      done() {
        if (drawn) stream.write("\r\u001B[2K");
      },
    };
  }
  let lastAt = -Infinity;
  return {
    update(text) {
      if (performance.now() - lastAt < PLAIN_EVERY_MS) return;
      lastAt = performance.now();
      out.info(text);
    },
    done() {},
  };
}

export function unreachableError(check: DaemonCheck, waitedMs: number): StigmerError {
  const reason = check.detail ?? check.status;
  return new StigmerError(`The Stigmer daemon at ${check.endpoint} did not answer within ${formatDuration(waitedMs)}: ${reason}.`, {
    fix:
      "Start stigmer-server, or point --endpoint (STIGMER_BACKEND_ENDPOINT) at it (newer builds listen on localhost:7234), " +
      "or start anyway with --no-wait-daemon.",
  });
}

/**
 * Waits, up to `timeoutMs`, for the daemon to answer before the runner is started: the runner is
 * useless without it. `serving` and `reachable` (gRPC without the health service) both open the gate.
 */
export async function gateOnDaemon(
  endpoint: string,
  timeoutMs: number,
  progress: ProgressLine = progressLine(),
  signal?: AbortSignal,
): Promise<DaemonCheck> {
  const { waitForDaemon, daemonAnswers } = await import("../../daemon/health.ts");
  const check = await waitForDaemon(endpoint, {
    timeoutMs,
    signal,
    onProgress: (latest, elapsedMs) => {
      if (!daemonAnswers(latest)) {
        progress.update(`waiting for the daemon at ${endpoint}: ${latest.detail ?? latest.status} (${formatDuration(elapsedMs)} of ${formatDuration(timeoutMs)})`);
      }
    },
  });
  progress.done();
  if (signal?.aborted) throw new StigmerError("Stopped while waiting for the daemon.");
  if (!daemonAnswers(check)) throw unreachableError(check, timeoutMs);
  return check;
}
