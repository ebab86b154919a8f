import { formatDuration } from "../../cli/duration.ts";
import { ExitCode, StigmerError } from "../../cli/errors.ts";
import { claimStdoutFailure, out } from "../../cli/output.ts";
import type { Component, OutputSink } from "../process/component.ts";
import type { Diagnosis } from "../process/diagnosis.ts";
import { stderrTail, SupervisorHost } from "./host.ts";
import { LogFile, supervisorLine } from "../process/logs.ts";
import type { StartPlan } from "../start/plan.ts";
import { signalGroup } from "../process/process-tree.ts";
import { prepareOutputPipes } from "../../platform/process/output-pipes.ts";
import { describeExit, type SupervisorLog } from "./supervisor.ts";

const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/** Supervisor messages: to the terminal, and with a timestamp to `supervisor.log`. */
function terminalAndFileLog(file: LogFile): SupervisorLog {
  const both = (level: "info" | "warn" | "error") => (message: string) => {
    file.write(supervisorLine(level, message));
    out[level](message);
  };
  return { info: both("info"), warn: both("warn"), error: both("error") };
}

/**
 * Runner output on our stdout / stderr, so the terminal shows it live. A stream that failed takes
 * no more (its log file still gets every line): a stream that is no longer writable may keep what it is given.
 * The lines are copied: a write the terminal cannot take at once keeps them, and they may be a view
 * of a read buffer that the next read reuses (OutputStream).
 */
const terminalEcho: OutputSink = {
  stdout: (lines) => process.stdout.writable && process.stdout.write(Buffer.from(lines)),
  stderr: (lines) => process.stderr.writable && process.stderr.write(Buffer.from(lines)),
};

/** What a foreground start readies while it still waits for the services the runner needs: the first child's pipes. */
export function prepareForeground(): void {
  prepareOutputPipes();
}

/**
 * `stigmer local start` without `--detach`: supervise until Ctrl-C / SIGTERM or a `stop`
 * request (exit 0), or until the runner fails for good (exit 1, with its last exit and stderr).
 */
export async function runForeground(plan: StartPlan): Promise<void> {
  const supervisorFile = new LogFile(plan.layout.supervisorLog, (message) => out.warn(message), plan.options.logs);
  const log = terminalAndFileLog(supervisorFile);
  let requestStop!: (reason: string) => void;
  const stopRequested = new Promise<string>((resolve) => (requestStop = resolve));
  const host = new SupervisorHost({ plan, log, echo: terminalEcho, onStopRequest: () => requestStop("stop requested") });
  // Nobody reads the runner's output any more (`stigmer local start | head`): a stop, like Ctrl-C.
  const releaseStdout = claimStdoutFailure((failure) => requestStop(`stdout ${failure.readerGone ? "closed" : "failed"} (${failure.reason})`));

  let signalled = false;
  const handler = (signal: NodeJS.Signals) => {
    if (signalled) {
      // A second Ctrl-C: the user will not wait for the grace period.
      log.warn(`${signal} again: killing every process now`);
      for (const component of host.supervisor.components) if (component.groupId) signalGroup(component.groupId, "SIGKILL");
      return;
    }
    signalled = true;
    requestStop(`${signal} received`);
  };
  try {
    const openedAt = performance.now();
    await host.open();
    for (const signal of STOP_SIGNALS) process.on(signal, handler);
    // Ctrl-C while the stack is still coming up stops the start as well; the start then ends as "stopped", unheard.
    const starting = host.start().then(() => null);
    starting.catch(() => {});
    const started = await Promise.race([starting, stopRequested]).catch(async (error: unknown) => {
      await host.shutdown();
      throw error;
    });
    if (started === null) {
      log.info(`stack ready in ${formatDuration(performance.now() - openedAt)}: ${host.supervisor.components.map((component) => component.spec.name).join(" → ")}`);
      void host.watchDaemon();
    }
    const outcome = started ?? (await Promise.race([stopRequested, host.supervisor.settled()]));
    if (typeof outcome === "string") log.info(`${outcome}: stopping`);
    await host.shutdown();
    if (typeof outcome !== "string" && outcome.state === "failed") throw failureError(outcome.component, plan, host.diagnosis(outcome.component));
  } finally {
    for (const signal of STOP_SIGNALS) process.off(signal, handler);
    releaseStdout();
    supervisorFile.close();
  }
}

export function failureError(component: Component, plan: StartPlan, diagnosis: Diagnosis | null): StigmerError {
  const exit = component.status.lastExit;
  const how = exit ? describeExit(exit) : "did not start";
  const runs = component.status.quickFailures;
  const tail = stderrTail(component);
  const cause = diagnosis ? `\nCause: ${diagnosis.cause}.` : "";
  const log = plan.stack.find((member) => member.name === component.spec.name)?.log ?? plan.layout.runnerLog;
  return new StigmerError(`The ${component.spec.name} failed: it ${how}${runs > 1 ? `, ${runs} quick runs in a row` : ""}.${tail}${cause}`, {
    fix: diagnosis ? `${diagnosis.fix}, then run stigmer local start again.` : `Read ${log}, fix the cause, and run stigmer local start again.`,
    exitCode: ExitCode.error,
  });
}
