// The development daemon (examples/dev-daemon.ts) in a process of its own, serving grpc.health.v1 on a free port of
// 127.0.0.1 for "" and Temporal's service name: it stands in for both the daemon (`--endpoint`) and Temporal
// (TEMPORAL_SERVICE_ADDRESS). It runs under the Bun running the bench.
import path from "node:path";
import { ROOT, TEMPORAL_SERVICE } from "./fixtures.ts";
import { signalGroup, startInGroup, stopGroup, STOP_TIMEOUT_MS } from "../processes/processes.ts";

export interface DevDaemonProcess {
  /** "127.0.0.1:PORT" */
  endpoint: string;
  /** SIGTERM, which must end it with exit 0. */
  stop: () => Promise<void>;
}

const DAEMON_START_TIMEOUT_MS = 30_000;

export async function startDevDaemonProcess(env: Record<string, string>): Promise<DevDaemonProcess> {
  const script = path.join(ROOT, "examples", "dev-daemon.ts");
  const started = startInGroup(process.execPath, [script, "--port", "0", "--service", TEMPORAL_SERVICE], { env, cwd: ROOT, stdout: "pipe" });
  const stdout = started.child.stdout!;
  stdout.setEncoding("utf8");
  let printed = "";
  const endpoint = await new Promise<string | null>((resolve) => {
    const timer = setTimeout(() => resolve(null), DAEMON_START_TIMEOUT_MS);
    stdout.on("data", (chunk: string) => {
      printed += chunk;
      const match = /^listening on (\S+)$/m.exec(printed);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    void started.exited.then(() => {
      clearTimeout(timer);
      resolve(null);
    });
  });
  if (endpoint === null) {
    signalGroup(started.pid, "SIGKILL");
    throw new Error(`examples/dev-daemon.ts did not print its address within ${DAEMON_START_TIMEOUT_MS / 1000} s: ${printed}`);
  }
  return { endpoint, stop: () => stopGroup(started, STOP_TIMEOUT_MS, "examples/dev-daemon.ts") };
}
