import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { formatDuration } from "../../cli/duration.ts";
import { StigmerError } from "../../cli/errors.ts";
import { backgroundCommand, backgroundEnvironment } from "../../platform/process/self.ts";
import type { HandOverReply } from "./background.ts";
import type { StartPlan } from "../start/plan.ts";
import type { ProgressLine } from "../start/service-gate.ts";
import { longestStart } from "../start/stack.ts";
import { closeQuietly, openPrivateFile } from "../control/state-dir.ts";
import { recordLaunchedSupervisor } from "../control/state-file.ts";
import type { StatusReport } from "../control/status.ts";
import { SUPERVISE_COMMAND } from "./supervise-command.ts";

/** Beyond the stack's own readiness waits, how long the background supervisor may take to answer. */
const HAND_OVER_MARGIN_MS = 15_000;

/**
 * Re-executes stigmer as the background supervisor in a new session (no controlling terminal),
 * hands it the resolved plan and keys over its stdin, and waits for its one-line answer.
 * Its stderr goes to supervisor.log, so even a crash before its own logging starts is kept.
 */
export async function startDetached(plan: StartPlan, progress?: ProgressLine): Promise<StatusReport> {
  const self = backgroundCommand(SUPERVISE_COMMAND);
  const logFd = openPrivateFile(plan.layout.supervisorLog, "append");
  // The supervisor needs no secret in its own environment: the runner's is in the plan.
  const secrets = new Set(plan.secrets);
  const userEnv = Object.fromEntries(Object.entries(process.env).filter(([, value]) => value === undefined || !secrets.has(value)));
  const child = spawn(self.command, self.args, {
    detached: true,
    env: backgroundEnvironment(userEnv),
    stdio: ["pipe", "pipe", logFd],
    windowsHide: true,
  });
  // Visible to stop and status before the supervisor has run a line of its own.
  recordLaunchedSupervisor(plan.layout, child.pid);
  closeQuietly(logFd);
  const exited = new Promise<string>((resolve) => {
    child.once("error", (error) => resolve(error.message));
    child.once("exit", (code, signal) => resolve(signal ? `was killed by ${signal}` : `exited with code ${code}`));
  });
  child.stdin!.on("error", () => {});
  child.stdin!.end(JSON.stringify(plan));

  const lines = createInterface({ input: child.stdout! });
  const firstLine = new Promise<string | null>((resolve) => {
    lines.once("line", resolve);
    lines.once("close", () => resolve(null));
  });
  const handOverMs = longestStart(plan.stack) + HAND_OVER_MARGIN_MS;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), handOverMs)));
  const startedAt = performance.now();
  const ticker = setInterval(() => progress?.update(`starting ${plan.stack.map((member) => member.name).join(" → ")} in the background (${formatDuration(performance.now() - startedAt)})`), 100);
  const line = await Promise.race([firstLine, timeout]);
  clearTimeout(timer);
  clearInterval(ticker);
  progress?.done();
  lines.close();
  child.stdout!.destroy();
  child.unref();

  const fix = `See ${plan.layout.supervisorLog}.`;
  if (line === "timeout") throw new StigmerError(`The background supervisor did not answer within ${formatDuration(handOverMs)}.`, { fix });
  if (line === null) throw new StigmerError(`The background supervisor ${await exited} before it was ready.`, { fix });
  const reply = JSON.parse(line) as HandOverReply;
  if ("error" in reply) throw new StigmerError(reply.error, { fix: reply.fix ?? fix });
  return reply.ready;
}
