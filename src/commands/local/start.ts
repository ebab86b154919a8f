import { defineCommand } from "../../cli/command.ts";
import { ExitCode, StigmerError } from "../../cli/errors.ts";
import { colorEnabled, out } from "../../cli/output.ts";
import { currentLayout, querySupervisor } from "../../lifecycle/control/client.ts";
import { planStart, type StartPlan } from "../../lifecycle/start/plan.ts";
import { formatDuration } from "../../cli/duration.ts";
import { DEFAULT_MODELS } from "../../lifecycle/start/model.ts";
import { RUNNER } from "../../lifecycle/start/stack.ts";
import { offerToSaveEnteredKeys, optionArgs, resolveSettings, userKeySources } from "../_shared.ts";
import { progressLine } from "./present/progress.ts";
import { SOURCE_LABEL } from "../../secrets/chain.ts";
import type { Looks, ServiceTarget } from "../../lifecycle/start/service-gate.ts";

export default defineCommand({
  meta: {
    name: "start",
    description:
      "Start the local stack in order (Temporal, stigmer-server with --server, the Agent Runner), each once the one before it is ready, and keep it running (until Ctrl-C, or in the background with --detach)",
  },
  args: {
    detach: { type: "boolean", alias: "d", description: "Check everything here, then supervise in the background and return once the stack is ready" },
    ...optionArgs(),
  },
  async run({ args }) {
    const { options } = resolveSettings(args);
    if (args.detach) await refuseBesideService();
    await refuseSecondSupervisor();
    const { keyring, keySources } = await userKeySources();
    const { liveTemporalProbe, temporalAddress } = await import("../../lifecycle/start/temporal.ts");
    const { lookAhead, unmanagedTargets } = await import("../../lifecycle/start/service-gate.ts");
    const planning = planStart(options, {
      env: process.env,
      cwd: process.cwd(),
      temporal: liveTemporalProbe(process.cwd()),
      keySources,
    });
    // While the Python answers in a process of its own, this thread loads gRPC and asks the services
    // the runner will wait for; the gates below use those answers, in their order, after the plan.
    const looking = new AbortController();
    const looks = lookAhead(unmanagedTargetsOrNone(() => unmanagedTargets(options, temporalAddress(process.env))), options.daemonTimeoutMs ?? 0, looking.signal);
    let plan: StartPlan;
    try {
      plan = await planning;
    } catch (error) {
      looking.abort();
      throw error;
    }
    await offerToSaveEnteredKeys(plan.keys, keyring);
    describePlan(plan);
    // The runner's pipes are made while the gates wait, not after them.
    if (!args.detach) (await import("../../lifecycle/supervisor/foreground.ts")).prepareForeground();
    await waitForUnmanagedServices(plan, looks);
    if (args.detach) {
      const { startDetached } = await import("../../lifecycle/supervisor/detach.ts");
      const startedAt = performance.now();
      const report = await startDetached(plan, progressLine());
      const pids = report.components.map((member) => `${member.name} ${member.pid}`).join(", ");
      out.success(`Running in the background, ready in ${formatDuration(performance.now() - startedAt)}: supervisor ${report.supervisor?.pid}, ${pids}.`);
      out.info("See it with `stigmer local status`, its output with `stigmer local logs -f [COMPONENT]`, stop it with `stigmer local stop`.");
      return;
    }
    const { runForeground } = await import("../../lifecycle/supervisor/foreground.ts");
    await runForeground(plan);
  },
});

/** The targets to look at ahead of the plan; none when working them out fails (the plan reports that, in its turn). */
function unmanagedTargetsOrNone(targets: () => ServiceTarget[]): ServiceTarget[] {
  try {
    return targets();
  } catch {
    return [];
  }
}

/**
 * The services the runner needs and the supervisor does not run: waited for here, with progress,
 * before anything is spawned (a look taken ahead that found one up lets it through at once).
 * Those the supervisor runs are waited for as they start.
 */
async function waitForUnmanagedServices(plan: StartPlan, looks: Looks): Promise<void> {
  const { options, temporal } = plan;
  if (options.daemonTimeoutMs === null) return;
  const { passGate, unmanagedTargets } = await import("../../lifecycle/start/service-gate.ts");
  for (const target of unmanagedTargets(options, temporal.address)) {
    const check = await passGate(target, looks, options.daemonTimeoutMs, progressLine());
    if (target.service !== "") out.info(`temporal  ${target.endpoint} serving`);
    else out.info(`daemon    ${check.endpoint} ${check.status === "serving" ? "serving" : "answers (no health service)"}`);
  }
}

/** A login service that runs the stack, or will start it again, is the supervisor to use: a second one would fight it. */
async function refuseBesideService(): Promise<void> {
  const { detachRefusal, inspectService } = await import("../../platform/service/report.ts");
  const refusal = detachRefusal(inspectService(currentLayout(), null));
  if (refusal) throw refusal;
}

/** One supervisor per STIGMER_HOME: say so early, before any prompt, and show the one that runs. */
async function refuseSecondSupervisor(): Promise<void> {
  const query = await querySupervisor(currentLayout());
  if (query.kind === "not-running") {
    if (query.note) out.warn(query.note);
    return;
  }
  if (query.kind === "running") {
    const { renderStatus } = await import("./present/status-table.ts");
    process.stderr.write(`\n${renderStatus(query.report, colorEnabled(process.stderr))}\n`);
  }
  const pid = query.kind === "running" ? query.report.supervisor?.pid : query.pid;
  throw new StigmerError(`A supervisor is already running (pid ${pid}).`, {
    fix: "Use it (stigmer local status, stigmer local restart), or stop it first: stigmer local stop",
    exitCode: ExitCode.error,
  });
}

function describePlan(plan: StartPlan): void {
  const runnerLine =
    plan.runner.kind === "python-script"
      ? `${plan.runner.script} with Python ${plan.python!.version} (${plan.python!.command}, from ${plan.python!.source})`
      : plan.runner.executable;
  out.info(`runner    ${runnerLine}`);
  const { options, temporal } = plan;
  out.info(`provider  ${options.provider}, model ${options.model ?? "the runner's own default"}${options.model !== null && options.model === DEFAULT_MODELS[options.provider] ? " (default)" : ""}`);
  for (const key of plan.keys) out.info(`key       ${key.name} ${SOURCE_LABEL[key.source]}`);
  if (temporal.kind === "managed") {
    out.info(`temporal  ${temporal.cli} ${temporal.args.join(" ")}`);
    out.info(`          at ${temporal.address}, UI ${temporal.uiUrl}`);
  } else {
    out.info(`temporal  ${temporal.address} (${temporal.managedBy})`);
  }
  const server = plan.stack.find((member) => member.name === "stigmer-server");
  if (server) out.info(`server    ${server.launch.command}, endpoint ${options.endpoint}`);
  const readiness = plan.stack.find((member) => member.name === RUNNER)!.readiness;
  if (readiness.kind === "line") out.info(`ready     when the runner prints /${readiness.pattern}/ (within ${formatDuration(readiness.timeoutMs)})`);
  out.info(`logs      ${plan.stack.map((member) => member.log).join(", ")}`);
}
