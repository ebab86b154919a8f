import { fstatSync, readSync, writeSync } from "node:fs";
import { StigmerError, usageError, type ExitCode } from "../../cli/errors.ts";
import { SupervisorHost } from "./host.ts";
import { LogFile, supervisorLine } from "../process/logs.ts";
import type { StartPlan } from "../start/plan.ts";
import type { StatusReport } from "../control/status.ts";
import type { SupervisorLog } from "./supervisor.ts";

/** What the background supervisor tells the `start --detach` that launched it, as one JSON line. */
export type HandOverReply = { ready: StatusReport } | { error: string; fix?: string };

function fileLog(file: LogFile): SupervisorLog {
  const write = (level: "info" | "warn" | "error") => (message: string) => file.write(supervisorLine(level, message));
  return { info: write("info"), warn: write("warn"), error: write("error") };
}

/**
 * All of stdin, read with plain reads of fd 0; the answer goes out the same way. Node's streams
 * for stdin and stdout would stay in the supervisor's memory for the rest of its life, for one
 * message each way (bench --probes: a compiled program that reads process.stdin is 9 MiB larger).
 */
function readStdin(): string {
  const chunks: Buffer[] = [];
  const buffer = Buffer.allocUnsafe(64 * 1024);
  for (;;) {
    let read: number;
    try {
      read = readSync(0, buffer, 0, buffer.length, null);
    } catch (error) {
      // A non-blocking pipe with nothing in it yet: the plan is on its way.
      if ((error as NodeJS.ErrnoException).code !== "EAGAIN") throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
      continue;
    }
    if (read === 0) return Buffer.concat(chunks).toString("utf8");
    chunks.push(Buffer.from(buffer.subarray(0, read)));
  }
}

function writeAll(fd: number, text: string): void {
  const bytes = Buffer.from(text);
  let written = 0;
  while (written < bytes.length) written += writeSync(fd, bytes, written);
}

/**
 * `stigmer local __supervise`, as `start --detach` runs it. Meant to be loaded without the commands
 * (citty, consola and the node: modules they use would stay in the supervisor's memory all day), so
 * it says what went wrong itself, the way the CLI does.
 */
export async function superviseDetached(): Promise<ExitCode> {
  try {
    // The plan comes through a pipe; a terminal is somebody trying it by hand. (Not node:tty's isatty: loading it costs the supervisor ~2.5 MiB for good.)
    if (fstatSync(0).isCharacterDevice()) throw usageError("This command is run by stigmer local start --detach, not by hand.");
    return await runBackground();
  } catch (error) {
    const problem = error instanceof StigmerError ? error : new StigmerError(`Unexpected error: ${(error as Error).message}`);
    writeAll(2, `✖ ${problem.message}\n${problem.fix ? `  → ${problem.fix}\n` : ""}`);
    return problem.exitCode;
  }
}

/**
 * The hidden background supervisor that `start --detach` re-executes: its plan, keys
 * included, arrives on stdin (never argv, never a file); it answers on stdout once the runner
 * is up or has failed to come up, then lives on in its own session until `stop` or SIGTERM.
 */
async function runBackground(): Promise<ExitCode> {
  const plan = JSON.parse(readStdin()) as StartPlan;
  const supervisorFile = new LogFile(plan.layout.supervisorLog, () => {}, plan.options.logs);
  const log = fileLog(supervisorFile);
  let requestStop!: (reason: string) => void;
  const stopRequested = new Promise<string>((resolve) => (requestStop = resolve));
  const host = new SupervisorHost({ plan, log, echo: null, onStopRequest: () => requestStop("stop requested") });
  const answer = (reply: HandOverReply) => writeAll(1, `${JSON.stringify(reply)}\n`);

  try {
    await host.open();
  } catch (error) {
    const problem = error instanceof StigmerError ? error : new StigmerError((error as Error).message);
    answer({ error: problem.message, fix: problem.fix });
    supervisorFile.close();
    return 1;
  }
  for (const signal of ["SIGTERM", "SIGINT"] as const) process.on(signal, () => requestStop(`${signal} received`));
  // No terminal belongs to us any more; a hang-up is not a reason to stop.
  process.on("SIGHUP", () => {});
  log.info(`background supervisor ${process.pid} started (stigmer ${host.status().supervisor?.version})`);
  const failure = await host.start().then(
    () => null,
    (error: unknown) => (error instanceof StigmerError ? error : new StigmerError(String(error))),
  );
  if (failure) {
    log.error(`did not come up: ${failure.message}`);
    await host.shutdown();
    answer({ error: failure.message, fix: failure.fix ?? `Read ${plan.layout.supervisorLog}, fix the cause, and start again.` });
    supervisorFile.close();
    return 1;
  }
  log.info(`stack ready: ${host.supervisor.components.map((component) => component.spec.name).join(" → ")}`);
  void host.watchDaemon();
  answer({ ready: host.status() });

  void host.supervisor.settled().then(({ component, state }) => {
    if (state === "failed") log.error(`${component.spec.name} failed; \`stigmer local restart\` tries again`);
  });
  const reason = await stopRequested;
  log.info(`${reason}: stopping`);
  await host.shutdown();
  log.info("background supervisor stopped");
  supervisorFile.close();
  return 0;
}
