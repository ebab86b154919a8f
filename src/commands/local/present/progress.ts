import { out } from "../../../cli/output.ts";
import type { ProgressLine } from "../../../lifecycle/start/service-gate.ts";

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const PLAIN_EVERY_MS = 5000;

/** Progress of a wait: one line redrawn on a terminal, a line now and then elsewhere (logs, CI). */
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
