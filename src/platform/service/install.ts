// `stigmer local install-service` and `uninstall-service`: the description, the file, and the
// service manager's steps, in that order.
import { Buffer } from "node:buffer";
import { existsSync, mkdirSync, openSync, readFileSync, realpathSync } from "node:fs";
import path from "node:path";
import { currentLayout, querySupervisor, stopSupervisor } from "../../lifecycle/control/client.ts";
import { ensurePrivateDir, type HomeLayout } from "../../lifecycle/control/state-dir.ts";
import { configPath, readConfigFile } from "../../lifecycle/start/config-file.ts";
import { resolveStartOptions, type StartFlags, type StartOptions } from "../../lifecycle/start/start-options.ts";
import { findOnPath } from "../process/executables.ts";
import { replaceFile } from "../files/replace-file.ts";
import { resolveRunner } from "../python/runner.ts";
import { selfCommand } from "../process/self.ts";
import { describeService, type ServiceDescription } from "./description.ts";
import { currentServiceManager, type ServiceManager } from "./manager.ts";
import { commandRunner, type RunCommand } from "./run-command.ts";

/**
 * This program as the service should start it: the compiled binary by the name on PATH that
 * leads to it, when there is one (Homebrew's bin/stigmer is still there after an upgrade; the
 * versioned path it leads to is not), else by its own path; the source run by Bun or Deno as it is.
 */
export function stableSelf(): { command: string; args: string[] } {
  const self = selfCommand();
  if (self.args.length > 0) return self;
  const onPath = findOnPath(path.basename(self.command));
  try {
    if (onPath && onPath !== self.command && realpathSync(onPath) === realpathSync(self.command)) return { command: onPath, args: [] };
  } catch {
    // A name that leads nowhere: keep the binary's own path.
  }
  return self;
}

export interface InstallRequest {
  flags: StartFlags;
  env: NodeJS.ProcessEnv;
  cwd: string;
  now: boolean;
}

export interface InstallOutcome {
  manager: ServiceManager;
  description: ServiceDescription;
  /** The start options the service starts with, as resolved here. */
  options: StartOptions;
  /** false: the file was already what it would be (a second install). */
  changed: boolean;
  notes: string[];
}

export async function installService(request: InstallRequest): Promise<InstallOutcome> {
  const layout = currentLayout(request.env);
  const file = readConfigFile(configPath(layout.home));
  const resolved = resolveStartOptions(request.flags, request.env, file);
  // Without a runner the service would fail at every login: say so now, as start would.
  resolveRunner(resolved.runner, request.cwd);
  const description = describeService({ self: stableSelf(), options: { flags: request.flags, env: request.env, file }, resolved, cwd: request.cwd, layout, env: request.env });
  const manager = currentServiceManager(layout, request.env);
  const run = commandRunner(request.env);
  manager.check(description, run);
  const content = manager.render(description);
  // The service's working directory and the directory of its log must exist before it starts.
  ensurePrivateDir(layout.home);
  ensurePrivateDir(layout.logsDir);
  const changed = !sameBytes(manager.file, content);
  if (changed) {
    if (request.now && !manager.stopsGracefully) await stopStackUnderService(manager, layout, run);
    writeReplacing(manager.file, content);
  }
  const notes = manager.activate(run, { now: request.now, changed });
  return { manager, description, options: resolved, changed, notes };
}

export type UninstallOutcome = { manager: ServiceManager; removed: boolean };

/** Stops the service and removes it; nothing installed is not an error. */
export async function uninstallService(env: NodeJS.ProcessEnv = process.env): Promise<UninstallOutcome> {
  const layout = currentLayout(env);
  const manager = currentServiceManager(layout, env);
  const run = commandRunner(env);
  if (!manager.installed(run)) return { manager, removed: false };
  if (!manager.stopsGracefully) await stopStackUnderService(manager, layout, run);
  manager.remove(run);
  return { manager, removed: true };
}

/** Grace for the stack when the service manager would end it without one. */
const STOP_GRACE_MS = 10_000;

/** Stops the stack through stigmer (the stack in order) when the service runs it, before its manager ends it. */
async function stopStackUnderService(manager: ServiceManager, layout: HomeLayout, run: RunCommand): Promise<void> {
  if (manager.query(run).state !== "running") return;
  const query = await querySupervisor(layout);
  if (query.kind !== "not-running") await stopSupervisor(layout, STOP_GRACE_MS);
}

function sameBytes(file: string, content: Uint8Array): boolean {
  if (!existsSync(file)) return false;
  return Buffer.compare(readFileSync(file), content) === 0;
}

/** Replaces the file at once: a service manager never reads half of one. */
function writeReplacing(file: string, content: Uint8Array): void {
  mkdirSync(path.dirname(file), { recursive: true });
  replaceFile(file, content, (temporary) => openSync(temporary, "w", 0o644));
}
