import { defineCommand } from "citty";
import { ExitCode, StigmerError } from "../../cli/errors.ts";
import { colorEnabled, out } from "../../cli/output.ts";
import { currentLayout, querySupervisor } from "../../lifecycle/control/client.ts";
import { planStart, type StartPlan } from "../../lifecycle/start/plan.ts";
import { resolveStartOptions } from "../../lifecycle/start/start-options.ts";
import { renderStatus } from "../../lifecycle/control/status.ts";
import { SOURCE_LABEL } from "../../secrets/chain.ts";
import type { Keyring } from "../../secrets/keyring.ts";

export default defineCommand({
  meta: { name: "start", description: "Start the Agent Runner and keep it running (until Ctrl-C, or in the background with --detach)" },
  args: {
    detach: { type: "boolean", alias: "d", description: "Check everything here, then supervise in the background and return" },
    runner: { type: "string", valueHint: "path", description: "Agent Runner: a directory with main.py, a .py file, or an executable [STIGMER_AGENT_RUNNER]" },
    python: { type: "string", valueHint: "path", description: "Python 3.11+ to run it with [STIGMER_PYTHON] (default: the runner's .venv, else python3 on PATH)" },
    endpoint: { type: "string", valueHint: "host:port", description: "Stigmer daemon address [STIGMER_BACKEND_ENDPOINT] (default: localhost:50051)" },
    provider: { type: "string", valueHint: "anthropic|openai|ollama", description: "LLM provider [STIGMER_LLM_PROVIDER] (default: anthropic)" },
    workspace: { type: "string", valueHint: "dir", description: "Sandbox root for the runner [SANDBOX_ROOT_DIR] (default: $STIGMER_HOME/workspace)" },
    restart: { type: "string", valueHint: "on-failure|always|never", description: "When to restart the runner (default: on-failure)" },
    "restart-delay": { type: "string", valueHint: "duration", description: "First restart delay, doubled per quick failure (default: 1s)" },
    "max-restart-delay": { type: "string", valueHint: "duration", description: "Longest restart delay (default: 30s)" },
    "min-uptime": { type: "string", valueHint: "duration", description: "A run this long resets the backoff (default: 30s)" },
    "max-restarts": { type: "string", valueHint: "n", description: "Restarts allowed after quick runs before giving up (default: 10)" },
    "stop-timeout": { type: "string", valueHint: "duration", description: "Grace between SIGTERM and SIGKILL on stop (default: 10s)" },
    "log-max-size": { type: "string", valueHint: "size", description: "Rotate a log when it reaches this size (default: 10MiB)" },
    "log-files": { type: "string", valueHint: "n", description: "Log files kept per log, the current one included (default: 5)" },
    "daemon-timeout": { type: "string", valueHint: "duration", description: "How long to wait for the daemon before starting the runner (default: 30s)" },
    server: { type: "string", valueHint: "path", description: "Also supervise stigmer-server: started first, stopped last [STIGMER_SERVER_BIN]" },
    "wait-daemon": { type: "boolean", default: true, description: "Wait for the daemon to answer before starting the runner", negativeDescription: "Start the runner without waiting for the daemon" },
  },
  async run({ args }) {
    const options = resolveStartOptions(
      {
        runner: args.runner,
        python: args.python,
        endpoint: args.endpoint,
        provider: args.provider,
        workspace: args.workspace,
        restart: args.restart,
        restartDelay: args["restart-delay"],
        maxRestartDelay: args["max-restart-delay"],
        minUptime: args["min-uptime"],
        maxRestarts: args["max-restarts"],
        stopTimeout: args["stop-timeout"],
        logMaxSize: args["log-max-size"],
        logFiles: args["log-files"],
        daemonTimeout: args["daemon-timeout"],
        waitDaemon: args["wait-daemon"],
        server: args.server,
      },
      process.env,
    );
    await refuseSecondSupervisor();
    const { keyringDisabled, systemKeyring } = await import("../../secrets/keyring.ts");
    const { canPrompt, promptKey } = await import("../../secrets/prompt.ts");
    // One keyring for looking up and for saving: one found unavailable is not offered a save.
    const keyring = keyringDisabled() ? undefined : systemKeyring();
    const plan = await planStart(options, {
      env: process.env,
      cwd: process.cwd(),
      keySources: {
        environment: (name) => process.env[name],
        keyring: keyring && ((name) => keyring.read(name)),
        prompt: canPrompt() ? (name) => promptKey(name) : undefined,
        warn: (message) => out.warn(message),
      },
    });
    if (keyring) await offerToSaveEnteredKeys(plan, keyring);
    describePlan(plan);
    // With --server the daemon is not up yet: the supervisor starts it, then waits for it.
    if (options.daemonTimeoutMs !== null && !options.server) {
      const { gateOnDaemon } = await import("../../lifecycle/start/daemon-gate.ts");
      const check = await gateOnDaemon(options.endpoint, options.daemonTimeoutMs);
      out.info(`daemon    ${check.endpoint} ${check.status === "serving" ? "serving" : "answers (no health service)"}`);
    }
    if (args.detach) {
      const { startDetached } = await import("../../lifecycle/supervisor/detach.ts");
      const report = await startDetached(plan);
      out.success(`Running in the background: supervisor pid ${report.supervisor?.pid}, runner pid ${report.runner?.pid}.`);
      out.info("See it with `stigmer local status`, its output with `stigmer local logs -f`, stop it with `stigmer local stop`.");
      return;
    }
    const { runForeground } = await import("../../lifecycle/supervisor/foreground.ts");
    await runForeground(plan);
  },
});

/** One supervisor per STIGMER_HOME: say so early, before any prompt, and show the one that runs. */
async function refuseSecondSupervisor(): Promise<void> {
  const query = await querySupervisor(currentLayout());
  if (query.kind === "not-running") {
    if (query.note) out.warn(query.note);
    return;
  }
  if (query.kind === "running") process.stderr.write(`\n${renderStatus(query.report, colorEnabled(process.stderr))}\n`);
  const pid = query.kind === "running" ? query.report.supervisor?.pid : query.pid;
  throw new StigmerError(`A supervisor is already running (pid ${pid}).`, {
    fix: "Use it (stigmer local status, stigmer local restart), or stop it first: stigmer local stop",
    exitCode: ExitCode.error,
  });
}

/** A key typed at the prompt may be kept in the keyring, so the next start asks nothing. */
async function offerToSaveEnteredKeys(plan: StartPlan, keyring: Keyring): Promise<void> {
  if (keyring.unavailable !== undefined) return;
  const { offerToSave } = await import("../../secrets/prompt.ts");
  for (const key of plan.keys.filter((resolved) => resolved.source === "entered")) {
    const outcome = await offerToSave(key.name, key.value, keyring);
    if (outcome === "saved") out.success(`${key.name} saved to the system keyring.`);
    else if (typeof outcome === "object") out.warn(`${key.name} was not saved to the keyring: ${outcome.failed}`);
  }
}

function describePlan(plan: StartPlan): void {
  const runnerLine =
    plan.runner.kind === "python-script"
      ? `${plan.runner.script} with Python ${plan.python!.version} (${plan.python!.command}, from ${plan.python!.source})`
      : plan.runner.executable;
  out.info(`runner    ${runnerLine}`);
  for (const key of plan.keys) out.info(`key       ${key.name} ${SOURCE_LABEL[key.source]}`);
  if (plan.server) out.info(`server    ${plan.server.command} (log ${plan.layout.serverLog})`);
  out.info(`logs      ${plan.layout.runnerLog}`);
}
