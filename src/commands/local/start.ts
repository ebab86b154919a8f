import { defineCommand } from "citty";
import { out } from "../../cli/output.ts";
import { runForeground } from "../../lifecycle/foreground.ts";
import { planStart } from "../../lifecycle/plan.ts";
import { resolveStartOptions } from "../../lifecycle/start-options.ts";
import { SOURCE_LABEL } from "../../secrets/chain.ts";

export default defineCommand({
  meta: { name: "start", description: "Start the Agent Runner and keep it running until Ctrl-C" },
  args: {
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
      },
      process.env,
    );
    const plan = await planStart(options, {
      env: process.env,
      cwd: process.cwd(),
      keySources: {
        environment: (name) => process.env[name],
        warn: (message) => out.warn(message),
      },
    });
    const runnerLine =
      plan.runner.kind === "python-script"
        ? `${plan.runner.script} with Python ${plan.python!.version} (${plan.python!.command}, from ${plan.python!.source})`
        : plan.runner.executable;
    out.info(`runner    ${runnerLine}`);
    for (const key of plan.keys) out.info(`key       ${key.name} ${SOURCE_LABEL[key.source]}`);
    out.info(`endpoint  ${options.endpoint}`);
    out.info(`logs      ${plan.layout.runnerLog}`);
    await runForeground(plan);
  },
});
