import { formatDuration } from "../../cli/duration.ts";
import { ExitCode, StigmerError } from "../../cli/errors.ts";
import { out } from "../../cli/output.ts";
import type { Component, OutputSink } from "../process/component.ts";
import { stderrTail, SupervisorHost } from "./host.ts";
import { LogFile, supervisorLine } from "../process/logs.ts";
import type { StartPlan } from "../start/plan.ts";
import { signalGroup } from "../process/process-tree.ts";
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

/** Runner output on our stdout / stderr, so the terminal shows it live. */
const terminalEcho: OutputSink = {
  stdout: (lines) => process.stdout.write(lines),
  stderr: (lines) => process.stderr.write(lines),
};

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

  let signalled = false;
  const handler = (signal: NodeJS.Signals) => {
    if (signalled) {
      // A second Ctrl-C: the user will not wait for the grace period.
      log.warn(`${signal} again: killing every process now`);
      for (const component of host.supervisor.components) if (component.pid) signalGroup(component.pid, "SIGKILL");
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
    if (typeof outcome !== "string" && outcome.state === "failed") throw failureError(outcome.component, plan);
  } finally {
    for (const signal of STOP_SIGNALS) process.off(signal, handler);
    supervisorFile.close();
  }
}

export function failureError(component: Component, plan: StartPlan): StigmerError {
  const exit = component.status.lastExit;
  const how = exit ? describeExit(exit) : "did not start";
  const runs = component.status.quickFailures;
  const tail = stderrTail(component);
  return new StigmerError(
    `The ${component.spec.name} failed: it ${how}${runs > 1 ? `, ${runs} quick runs in a row` : ""}.${tail}`,
    {
      fix: `Read ${plan.stack.find((member) => member.name === component.spec.name)?.log ?? plan.layout.runnerLog}, fix the cause, and run stigmer local start again.`,
      exitCode: ExitCode.error,
    },
  );
}
