import { ExitCode, StigmerError } from "../cli/errors.ts";
import { out } from "../cli/output.ts";
import { createRedactor } from "../secrets/redact.ts";
import { Component, type OutputSink } from "./component.ts";
import { LogFile, supervisorLine } from "./logs.ts";
import type { StartPlan } from "./plan.ts";
import { launchInGroup, signalGroup } from "./process-tree.ts";
import { describeExit, logEvent, Supervisor, type SupervisorLog } from "./supervisor.ts";

const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/** Supervisor messages: to the terminal, and with a timestamp to `supervisor.log`. */
function terminalAndFileLog(file: LogFile): SupervisorLog {
  return {
    info(message) {
      file.write(supervisorLine("info", message));
      out.info(message);
    },
    warn(message) {
      file.write(supervisorLine("warn", message));
      out.warn(message);
    },
    error(message) {
      file.write(supervisorLine("error", message));
      out.error(message);
    },
  };
}

/** Runner output: to its log file, and to our stdout / stderr so the terminal shows it live. */
function teeToTerminal(file: LogFile): OutputSink {
  return {
    stdout(lines) {
      file.write(lines);
      process.stdout.write(lines);
    },
    stderr(lines) {
      file.write(lines);
      process.stderr.write(lines);
    },
  };
}

/**
 * `stigmer local start` without `--detach`: supervise until Ctrl-C / SIGTERM (exit 0),
 * or until the runner fails for good (exit 1, with its last exit and stderr).
 */
export async function runForeground(plan: StartPlan): Promise<void> {
  const supervisorFile = new LogFile(plan.layout.supervisorLog, (message) => out.warn(message));
  const log = terminalAndFileLog(supervisorFile);
  const runnerFile = new LogFile(plan.layout.runnerLog, (message) => log.warn(message));
  const redact = createRedactor(plan.keys.map((key) => key.value));
  const runner: Component = new Component(
    {
      name: "runner",
      launch: plan.launch,
      policy: plan.options.policy,
      stopTimeoutMs: plan.options.stopTimeoutMs,
      redact,
      output: teeToTerminal(runnerFile),
    },
    (event) => logEvent(log, runner, event),
    { launch: launchInGroup, random: Math.random, now: () => performance.now() },
  );
  const supervisor = new Supervisor([runner]);

  let signalled: string | null = null;
  let onSignal!: (signal: string) => void;
  const stopRequested = new Promise<string>((resolve) => (onSignal = resolve));
  const handler = (signal: NodeJS.Signals) => {
    if (signalled) {
      // A second Ctrl-C: the user will not wait for the grace period.
      log.warn(`${signal} again: killing every process now`);
      for (const component of supervisor.components) if (component.pid) signalGroup(component.pid, "SIGKILL");
      return;
    }
    signalled = signal;
    onSignal(signal);
  };
  for (const signal of STOP_SIGNALS) process.on(signal, handler);

  try {
    supervisor.start();
    const outcome = await Promise.race([stopRequested, supervisor.settled()]);
    if (typeof outcome === "string") {
      log.info(`${outcome} received: stopping`);
      await supervisor.stop();
      return;
    }
    await supervisor.stop();
    if (outcome.state === "failed") throw failureError(outcome.component, plan);
  } finally {
    for (const signal of STOP_SIGNALS) process.off(signal, handler);
    runnerFile.close();
    supervisorFile.close();
  }
}

function failureError(component: Component, plan: StartPlan): StigmerError {
  const exit = component.status.lastExit;
  const how = exit ? describeExit(exit) : "did not start";
  const runs = component.status.quickFailures;
  const tail = component.stderrTail.length
    ? `\nLast lines of its stderr:\n${component.stderrTail.map((line) => `  | ${line}`).join("\n")}`
    : "";
  return new StigmerError(
    `The ${component.spec.name} failed: it ${how}${runs > 1 ? `, ${runs} quick runs in a row` : ""}.${tail}`,
    { fix: `Read ${plan.layout.runnerLog}, fix the cause, and run stigmer local start again.`, exitCode: ExitCode.error },
  );
}
