import { defineCommand } from "citty";
import { ExitCode } from "../cli/errors.ts";
import { colorEnabled, paint } from "../cli/output.ts";
import { currentLayout } from "../lifecycle/control/client.ts";
import { runPreflight, type CheckResult } from "../lifecycle/start/preflight.ts";
import { resolveStartOptions } from "../lifecycle/start/start-options.ts";
import { TEMPORAL_HEALTH_SERVICE } from "../lifecycle/start/temporal.ts";
import { resolveExecutable } from "../platform/executables.ts";

const SYMBOL = { pass: ["✔", "green"], warn: ["⚠", "yellow"], fail: ["✖", "red"] } as const;

export default defineCommand({
  meta: { name: "doctor", description: "Run every pre-flight check of local start (runner, Python, keys, model, Temporal, daemon), with a fix for each failure" },
  args: {
    json: { type: "boolean", description: "Print JSON" },
    runner: { type: "string", valueHint: "path", description: "Agent Runner to check [STIGMER_AGENT_RUNNER]" },
    python: { type: "string", valueHint: "path", description: "Python to check [STIGMER_PYTHON]" },
    endpoint: { type: "string", valueHint: "host:port", description: "Daemon to check [STIGMER_BACKEND_ENDPOINT] (default: localhost:50051)" },
    provider: { type: "string", valueHint: "anthropic|openai|ollama", description: "Provider whose key to look for [STIGMER_LLM_PROVIDER]" },
    model: { type: "string", valueHint: "name", description: "Model to check against the provider [STIGMER_LLM_MODEL]" },
    temporal: { type: "string", valueHint: "auto|off|path", description: "How start would get Temporal [STIGMER_TEMPORAL] (default: auto)" },
  },
  async run({ args }) {
    const options = resolveStartOptions(
      { runner: args.runner, python: args.python, endpoint: args.endpoint, provider: args.provider, model: args.model, temporal: args.temporal },
      process.env,
    );
    const { keyringSource } = await import("../secrets/keyring.ts");
    const { canPrompt } = await import("../secrets/prompt.ts");
    const results = await runPreflight(options, currentLayout(), {
      env: process.env,
      cwd: process.cwd(),
      uid: typeof process.getuid === "function" ? process.getuid() : null,
      keyring: keyringSource(),
      checkDaemon: async (endpoint) => (await import("../daemon/health.ts")).checkDaemon(endpoint),
      checkTemporal: async (address) => (await import("../daemon/health.ts")).checkDaemon(address, { service: TEMPORAL_HEALTH_SERVICE }),
      findTemporalCli: (given) => resolveExecutable(given ?? "temporal", process.cwd()),
      newerServerHint: async (endpoint) => (await import("../lifecycle/start/service-gate.ts")).newerServerHint(endpoint),
      terminal: canPrompt(),
    });
    const failed = results.some((result) => result.verdict === "fail");
    if (args.json) process.stdout.write(`${JSON.stringify({ ok: !failed, checks: results }, null, 2)}\n`);
    else process.stdout.write(render(results, colorEnabled(process.stdout)));
    return failed ? ExitCode.error : ExitCode.ok;
  },
});

function render(results: CheckResult[], color: boolean): string {
  const width = Math.max(...results.map((result) => result.check.length));
  const lines = results.map((result) => {
    const [symbol, hue] = SYMBOL[result.verdict];
    const line = `${paint(hue, symbol, color)} ${result.check.padEnd(width)}  ${result.detail}`;
    return result.fix && result.verdict !== "pass" ? `${line}\n  ${" ".repeat(width)}  → ${result.fix}` : line;
  });
  const failures = results.filter((result) => result.verdict === "fail").length;
  const summary = failures ? `${failures} check${failures > 1 ? "s" : ""} failed.` : "All checks passed.";
  return `${lines.join("\n")}\n\n${summary}\n`;
}
