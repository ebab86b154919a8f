// macOS: a LaunchAgent, ~/Library/LaunchAgents/dev.stigmer.local.plist, driven with `launchctl`.
import { existsSync, rmSync } from "node:fs";
import path from "node:path";
import { StigmerError } from "../../cli/errors.ts";
import type { ServiceDescription } from "./description.ts";
import type { ManagerContext, ServiceManager, ServiceState } from "./manager.ts";
import { runChecked, sleepSync, type RunCommand } from "./run-command.ts";
import { element } from "./xml.ts";

export const LAUNCHD_LABEL = "dev.stigmer.local";

/** The property list. Pure. */
export function renderLaunchdPlist(description: ServiceDescription): string {
  const strings = (indent: string, values: readonly string[]) => values.map((value) => element(indent, "string", value));
  const environment = Object.entries(description.environment).flatMap(([name, value]) => [element("\t\t", "key", name), element("\t\t", "string", value)]);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    "<!-- Written by `stigmer local install-service`; `stigmer local uninstall-service` removes it.",
    "     It holds no key: `stigmer local start` reads the keys from the keychain each time it starts. -->",
    '<plist version="1.0">',
    "<dict>",
    element("\t", "key", "Label"),
    element("\t", "string", LAUNCHD_LABEL),
    element("\t", "key", "ProgramArguments"),
    "\t<array>",
    ...strings("\t\t", description.command),
    "\t</array>",
    element("\t", "key", "WorkingDirectory"),
    element("\t", "string", description.workingDirectory),
    element("\t", "key", "EnvironmentVariables"),
    "\t<dict>",
    ...environment,
    "\t</dict>",
    element("\t", "key", "RunAtLoad"),
    "\t<true/>",
    "\t<!-- Started again when it fails; a clean stop (stigmer local stop) ends it. -->",
    element("\t", "key", "KeepAlive"),
    "\t<dict>",
    element("\t\t", "key", "SuccessfulExit"),
    "\t\t<false/>",
    "\t</dict>",
    element("\t", "key", "ThrottleInterval"),
    element("\t", "integer", String(Math.ceil(description.restartDelayMs / 1000))),
    "\t<!-- SIGTERM lets stigmer stop the stack in order; SIGKILL after this many seconds. -->",
    element("\t", "key", "ExitTimeOut"),
    element("\t", "integer", String(Math.ceil(description.stopTimeoutMs / 1000))),
    "\t<!-- The runner's output is in its own log; stderr keeps why a start failed. -->",
    element("\t", "key", "StandardOutPath"),
    element("\t", "string", "/dev/null"),
    element("\t", "key", "StandardErrorPath"),
    element("\t", "string", description.errorLog),
    "</dict>",
    "</plist>",
    "",
  ].join("\n");
}

/** What `launchctl print gui/UID/LABEL` says of the job, as a state. Pure. */
export function launchdState(printed: string): ServiceState {
  const field = (name: string) => new RegExp(`^\\s*${name} = (.+)$`, "m").exec(printed)?.[1]?.trim();
  const pid = Number(field("pid"));
  if (Number.isInteger(pid) && pid > 0) return { state: "running", pid, detail: null };
  const lastExit = field("last exit code");
  const failed = lastExit !== undefined && /^-?\d+$/.test(lastExit) && lastExit !== "0";
  // KeepAlive with SuccessfulExit false: launchd starts a job that failed again, after ThrottleInterval.
  return { state: failed ? "restarting" : "stopped", pid: null, detail: failed ? `last exit code ${lastExit}` : null };
}

export function launchdManager(context: ManagerContext): ServiceManager {
  const file = path.join(context.homeDir, "Library", "LaunchAgents", `${LAUNCHD_LABEL}.plist`);
  const domain = `gui/${context.uid}`;
  const target = `${domain}/${LAUNCHD_LABEL}`;
  const launchctl = (run: RunCommand, args: readonly string[]) =>
    runChecked(run, "launchctl", args, `See what launchd says: launchctl print ${target}`);
  const loaded = (run: RunCommand) => run("launchctl", ["print", target]).status === 0;
  const unload = (run: RunCommand) => {
    launchctl(run, ["bootout", target]);
    // bootout returns before launchd has forgotten the job; bootstrapping it again before that fails.
    for (let waited = 0; loaded(run) && waited < 30_000; waited += 200) sleepSync(200);
  };
  return {
    title: `LaunchAgent ${LAUNCHD_LABEL}`,
    file,
    render: (description) => new TextEncoder().encode(renderLaunchdPlist(description)),
    logsErrors: true,
    stopsGracefully: true,
    check() {
      if (context.uid === null) throw new StigmerError("The user id is unknown, so the LaunchAgent's launchd domain is too.");
    },
    activate(run, { now, changed }) {
      // A plist in ~/Library/LaunchAgents is loaded at every login: nothing to register.
      const wasLoaded = loaded(run);
      if (!now) return wasLoaded && changed ? ["It runs with its former settings until you run: stigmer local install-service --now"] : [];
      if (wasLoaded && !changed) {
        launchctl(run, ["kickstart", target]);
        return [];
      }
      if (wasLoaded) unload(run);
      // A job disabled earlier (launchctl disable) would not load.
      launchctl(run, ["enable", target]);
      launchctl(run, ["bootstrap", domain, file]);
      return [];
    },
    installed: () => existsSync(file),
    remove(run) {
      if (loaded(run)) unload(run);
      rmSync(file, { force: true });
    },
    query(run) {
      const printed = run("launchctl", ["print", target]);
      if (printed.status !== 0) return { state: "stopped", pid: null, detail: "not loaded; it loads at your next login" };
      return launchdState(printed.stdout);
    },
    hints: { start: `launchctl kickstart ${target}`, stop: "stigmer local stop" },
  };
}
