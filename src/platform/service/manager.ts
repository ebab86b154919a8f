// What install-service, uninstall-service, status and doctor need of a service manager; one
// implementation per OS (systemd.ts, launchd.ts, task-scheduler.ts), chosen here.
import { homedir } from "node:os";
import { StigmerError } from "../../cli/errors.ts";
import { currentLayout } from "../../lifecycle/control/client.ts";
import type { HomeLayout } from "../../lifecycle/control/state-dir.ts";
import type { ServiceDescription } from "./description.ts";
import { launchdManager } from "./launchd.ts";
import type { RunCommand } from "./run-command.ts";
import { systemdManager } from "./systemd.ts";
import { taskSchedulerManager } from "./task-scheduler.ts";

/**
 * What the service manager says of it now. `restarting`: its last run failed and the manager will
 * start it again (systemd's auto-restart, launchd's KeepAlive); `unknown`: the manager could not be asked.
 */
export type ServiceRunState = "running" | "restarting" | "stopped" | "unknown";

export interface ServiceState {
  state: ServiceRunState;
  /** Its main process (the foreground supervisor), when the manager tells it; the logon task does not. */
  pid: number | null;
  /** What the manager said beyond the state (an exit status, why it could not be asked), or null. */
  detail: string | null;
}

export interface ServiceManager {
  /** How messages name it: `systemd user unit stigmer.service`, `LaunchAgent dev.stigmer.local`, `logon task stigmer-me`. */
  title: string;
  /** The file install-service writes. */
  file: string;
  render(description: ServiceDescription): Uint8Array;
  /** Whether the service's stderr goes to `description.errorLog`; the logon task's shows in its console window instead. */
  logsErrors: boolean;
  /**
   * Whether a stop through the manager lets `stigmer local start` stop the stack in order (SIGTERM);
   * Task Scheduler ends a task with TerminateProcess, so the stack is stopped through stigmer first.
   */
  stopsGracefully: boolean;
  /** Refuses, before anything is written, what this manager cannot carry out for `description`. */
  check(description: ServiceDescription, run: RunCommand): void;
  /** After the file is written: set to start at login and, with `now`, running with the file now. Returns notes for the user. */
  activate(run: RunCommand, change: { now: boolean; changed: boolean }): string[];
  /** Whether it is installed: its file, or (logon task) its registration. */
  installed(run: RunCommand): boolean;
  /** Stops it, removes its file and makes the manager forget it. */
  remove(run: RunCommand): void;
  query(run: RunCommand): ServiceState;
  /** Commands for people to start and stop it by hand. */
  hints: { start: string; stop: string };
}

export interface ManagerContext {
  env: Readonly<Record<string, string | undefined>>;
  layout: HomeLayout;
  /** The user's home directory (HOME), where the per-user service files live. */
  homeDir: string;
  uid: number | null;
}

/** The service manager of this OS; Linux without systemd is told so when it is asked to act. */
export function serviceManagerFor(platform: NodeJS.Platform, context: ManagerContext): ServiceManager {
  switch (platform) {
    case "linux":
      return systemdManager(context);
    case "darwin":
      return launchdManager(context);
    case "win32":
      return taskSchedulerManager(context);
    default:
      throw new StigmerError(`Starting at login is not supported on ${platform}.`, {
        fix: "Start the stack from your session's autostart instead: stigmer local start --detach",
      });
  }
}

/** The service manager of this machine, for this user and STIGMER_HOME. */
export function currentServiceManager(layout: HomeLayout = currentLayout(), env: NodeJS.ProcessEnv = process.env): ServiceManager {
  const homeDir = env.HOME?.trim() || homedir();
  return serviceManagerFor(process.platform, { env, layout, homeDir, uid: typeof process.getuid === "function" ? process.getuid() : null });
}
