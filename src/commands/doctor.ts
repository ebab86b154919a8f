import { defineCommand } from "../cli/command.ts";
import { ExitCode } from "../cli/errors.ts";
import { colorEnabled, paint } from "../cli/output.ts";
import { runPreflight, type CheckResult } from "../lifecycle/start/preflight.ts";
import type { StatusReport } from "../lifecycle/control/status.ts";
import type { OptionName } from "../lifecycle/start/start-options.ts";
import { optionArgs, resolveSettings } from "./_shared.ts";
import { TEMPORAL_HEALTH_SERVICE } from "../daemon/check.ts";
import { resolveExecutable } from "../platform/process/executables.ts";

/** The options whose checks doctor makes; the rest come from the environment, config.toml and defaults as for start. */
const DOCTOR_OPTIONS: readonly OptionName[] = ["runner", "python", "endpoint", "provider", "model", "temporal"];

const SYMBOL = { pass: ["✔", "green"], warn: ["⚠", "yellow"], fail: ["✖", "red"] } as const;

export default defineCommand({
  meta: { name: "doctor", description: "Run every pre-flight check of local start (runner, Python, keys, model, Temporal, daemon), with a fix for each failure" },
  args: {
    json: { type: "boolean", description: "Print JSON" },
    "check-key": { type: "boolean", description: "Ask the provider whether it accepts the key (one request each; off by default)" },
    ...optionArgs(DOCTOR_OPTIONS),
  },
  async run({ args }) {
    const { options, layout } = resolveSettings(args, DOCTOR_OPTIONS);
    const { keyringSource } = await import("../secrets/keyring.ts");
    const { canPrompt } = await import("../secrets/prompt.ts");
    const results = await runPreflight(options, layout, {
      env: process.env,
      cwd: process.cwd(),
      uid: typeof process.getuid === "function" ? process.getuid() : null,
      keyring: keyringSource(),
      checkDaemon: async (endpoint) => (await import("../daemon/health.ts")).checkDaemon(endpoint),
      checkTemporal: async (address) => (await import("../daemon/health.ts")).checkDaemon(address, { service: TEMPORAL_HEALTH_SERVICE }),
      findTemporalCli: (given) => resolveExecutable(given ?? "temporal", process.cwd()),
      checkKey: args["check-key"]
        ? async (provider, key) => (await import("../secrets/provider-check.ts")).checkKeyWithProvider(provider, key, process.env)
        : undefined,
      newerServerHint: async (endpoint) => (await import("../lifecycle/start/service-gate.ts")).newerServerHint(endpoint),
      terminal: canPrompt(),
    });
    // A STIGMER_HOME that failed its check holds no service state or supervisor to ask.
    if (results.find((result) => result.check === "home")?.verdict !== "fail") {
      // One question to the supervisor serves both: whether the service runs it, and how its stack is.
      const { querySupervisor } = await import("../lifecycle/control/client.ts");
      const { inspectService, serviceCheck, supervisorPidOf } = await import("../platform/service/report.ts");
      const query = await querySupervisor(layout);
      const service = inspectService(layout, supervisorPidOf(query));
      if (service) results.push(serviceCheck(service));
      if (query.kind === "running") results.push(...runningStackChecks(query.report));
    }
    const failed = results.some((result) => result.verdict === "fail");
    if (args.json) process.stdout.write(`${JSON.stringify({ ok: !failed, checks: results }, null, 2)}\n`);
    else process.stdout.write(render(results, colorEnabled(process.stdout)));
    return failed ? ExitCode.error : ExitCode.ok;
  },
});

/** With a supervisor running, what went wrong in its stack, from the supervisor's own diagnosis. */
function runningStackChecks(report: StatusReport): CheckResult[] {
  const failing = report.components.filter((member) => member.diagnosis && member.state !== "running");
  if (failing.length === 0) return [{ check: "stack", verdict: "pass", detail: `supervisor ${report.supervisor?.pid} running: ${report.components.map((member) => `${member.name} ${member.state}`).join(", ")}`, fix: null }];
  return failing.map((member) => ({ check: "stack", verdict: "fail" as const, detail: `${member.name} ${member.state}: ${member.diagnosis!.cause}`, fix: member.diagnosis!.fix }));
}

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
