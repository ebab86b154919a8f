// `npm run demo`: the real job on this machine. A development daemon (examples/dev-daemon.ts)
// stands in for stigmer-server on a free port, and the compiled stigmer supervises the
// stand-in Agent Runner in examples/agent-runner until you press Ctrl-C (or for DEMO_SECONDS
// when there is no terminal), with its own STIGMER_HOME so nothing of yours is touched.
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startDevDaemon } from "./dev-daemon.ts";

const root = path.resolve(import.meta.dirname, "..");
const env: Record<string, string | undefined> = { ...process.env };
env.STIGMER_HOME ??= mkdtempSync(path.join(tmpdir(), "stigmer-demo-"));
env.DEMO_HEARTBEAT_SECONDS ??= "2";
if (!env.ANTHROPIC_API_KEY && (env.STIGMER_LLM_PROVIDER ?? "anthropic") === "anthropic") {
  // The stand-in runner calls no model, so a placeholder is enough; a real key works the same way.
  env.ANTHROPIC_API_KEY = "sk-demo-placeholder-not-a-real-key";
  console.log("demo: ANTHROPIC_API_KEY is not set; using a placeholder (the stand-in runner calls no model).");
}

const interactive = Boolean(process.stdin.isTTY);
const seconds = Number(env.DEMO_SECONDS ?? (interactive ? "0" : "15"));
console.log(`demo: STIGMER_HOME=${env.STIGMER_HOME}`);
console.log(interactive && seconds === 0 ? "demo: press Ctrl-C to stop.\n" : `demo: stopping after ${seconds}s.\n`);

const daemon = await startDevDaemon();
console.log(`demo: development daemon (grpc.health.v1) on ${daemon.endpoint}`);

const runner = path.join(root, "examples", "agent-runner");
const stigmer = spawn(path.join(root, "dist", "stigmer"), ["local", "start", "--runner", runner, "--endpoint", daemon.endpoint], {
  env,
  stdio: "inherit",
});
// Ctrl-C reaches stigmer directly (same terminal); the demo waits for it to stop the runner.
process.on("SIGINT", () => {});
if (seconds > 0) setTimeout(() => stigmer.kill("SIGTERM"), seconds * 1000);
stigmer.on("exit", (code, signal) => {
  console.log(`\ndemo: stigmer exited (${signal ?? `code ${code}`}). Logs: ${env.STIGMER_HOME}/logs`);
  void daemon.stop().then(() => process.exit(code ?? 1));
});
