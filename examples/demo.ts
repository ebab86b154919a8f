// `npm run demo`: the real job on this machine, the whole local stack through stigmer itself.
// A stand-in Temporal CLI (examples/temporal-cli.ts) is put on PATH, a development daemon
// (examples/dev-daemon.ts) is given as --server in place of stigmer-server, and the stand-in
// Agent Runner (examples/agent-runner) needs both, as the real one does. The compiled stigmer
// starts them in that order, each once the one before it is ready, until you press Ctrl-C
// (or for DEMO_SECONDS when there is no terminal), with its own STIGMER_HOME and free ports,
// so nothing of yours is touched.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort } from "./dev-daemon.ts";
import { installTemporalCli } from "./temporal-cli.ts";

const root = path.resolve(import.meta.dirname, "..");

const quote = (text: string) => `'${text.replaceAll("'", "'\\''")}'`;

const scratch = mkdtempSync(path.join(tmpdir(), "stigmer-demo-"));
const bin = path.join(scratch, "bin");
mkdirSync(bin);
installTemporalCli(bin);
const daemonPort = await freePort();
const server = path.join(bin, "stigmer-server");
writeFileSync(server, `#!/bin/sh\nexec ${quote(process.execPath)} ${quote(path.join(root, "examples", "dev-daemon.ts"))} --port ${daemonPort}\n`, { mode: 0o755 });

const env: Record<string, string | undefined> = { ...process.env };
env.STIGMER_HOME ??= path.join(scratch, "home");
env.PATH = `${bin}${path.delimiter}${env.PATH ?? ""}`;
env.TEMPORAL_SERVICE_ADDRESS ??= `127.0.0.1:${await freePort()}`;
env.DEMO_HEARTBEAT_SECONDS ??= "2";
if (!env.ANTHROPIC_API_KEY && (env.STIGMER_LLM_PROVIDER ?? "anthropic") === "anthropic") {
  // The stand-in runner calls no model, so a placeholder is enough; a real key works the same way.
  env.ANTHROPIC_API_KEY = "sk-demo-placeholder-not-a-real-key";
  console.log("demo: ANTHROPIC_API_KEY is not set; using a placeholder (the stand-in runner calls no model).");
}

const interactive = Boolean(process.stdin.isTTY);
const seconds = Number(env.DEMO_SECONDS ?? (interactive ? "0" : "15"));
console.log(`demo: STIGMER_HOME=${env.STIGMER_HOME}`);
console.log(`demo: stand-in temporal CLI on PATH, Temporal at ${env.TEMPORAL_SERVICE_ADDRESS}; development daemon as stigmer-server on 127.0.0.1:${daemonPort}`);
console.log(interactive && seconds === 0 ? "demo: press Ctrl-C to stop.\n" : `demo: stopping after ${seconds}s.\n`);

const runner = path.join(root, "examples", "agent-runner");
const args = ["local", "start", "--runner", runner, "--server", server, "--endpoint", `127.0.0.1:${daemonPort}`];
const stigmer = spawn(path.join(root, "dist", "stigmer"), args, { env, stdio: "inherit" });
// Ctrl-C reaches stigmer directly (same terminal); the demo waits for it to stop the stack.
process.on("SIGINT", () => {});
if (seconds > 0) setTimeout(() => stigmer.kill("SIGTERM"), seconds * 1000);
stigmer.on("exit", (code, signal) => {
  console.log(`\ndemo: stigmer exited (${signal ?? `code ${code}`}). Logs: ${env.STIGMER_HOME}/logs`);
  process.exit(code ?? 1);
});
