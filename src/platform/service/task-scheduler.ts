// Windows: a Task Scheduler task started at logon, registered from its XML with `schtasks /Create /XML`.
import { Buffer } from "node:buffer";
import { existsSync, rmSync } from "node:fs";
import path from "node:path";
import { StigmerError } from "../../cli/errors.ts";
import { stigmerHome } from "../files/paths.ts";
import type { ServiceDescription } from "./description.ts";
import type { ManagerContext, ServiceManager, ServiceState } from "./manager.ts";
import { runChecked, type RunCommand } from "./run-command.ts";
import { element } from "./xml.ts";

/**
 * One argument as a Windows program's C runtime splits its command line back into argv: quoted
 * when empty or holding a space or tab; backslashes doubled before a quote, and quotes escaped
 * (the rules of Python's subprocess.list2cmdline, which the tests compare with). Pure.
 */
export function windowsArgument(arg: string): string {
  const quote = arg === "" || /[ \t]/.test(arg);
  let out = "";
  let backslashes = 0;
  for (const char of arg) {
    if (char === "\\") {
      backslashes += 1;
      continue;
    }
    out += char === '"' ? `${"\\".repeat(backslashes * 2)}\\"` : `${"\\".repeat(backslashes)}${char}`;
    backslashes = 0;
  }
  return quote ? `"${out}${"\\".repeat(backslashes * 2)}"` : `${out}${"\\".repeat(backslashes)}`;
}

/** Task Scheduler replaces `%NAME%` in an action's command, arguments and directory, and has no escape for it. */
function withoutVariables(what: string, text: string): string {
  if (/%[^%]+%/.test(text)) {
    throw new StigmerError(`${what} ${JSON.stringify(text)} holds %…%, which Task Scheduler would replace by an environment variable.`, {
      fix: "Use paths and values without a pair of % signs.",
    });
  }
  return text;
}

export interface TaskAccount {
  /** DOMAIN\user, whose logon starts the task and who it runs as. */
  userId: string;
}

/**
 * The task, as Task Scheduler exports one. The action runs stigmer itself, in the user's logon
 * session (InteractiveToken: the Credential Manager is readable there), with the account's own
 * environment: an action cannot set variables, so `check` makes sure the account has them. Pure.
 */
export function renderTaskXml(description: ServiceDescription, account: TaskAccount): string {
  const [program, ...args] = description.command;
  const restartMinutes = Math.max(1, Math.ceil(description.restartDelayMs / 60_000));
  return [
    '<?xml version="1.0" encoding="UTF-16"?>',
    "<!-- Written by `stigmer local install-service`; `stigmer local uninstall-service` removes it.",
    "     It holds no key: `stigmer local start` reads the keys from the Credential Manager each time it starts. -->",
    '<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">',
    "  <RegistrationInfo>",
    element("    ", "Description", description.summary),
    "  </RegistrationInfo>",
    "  <Triggers>",
    "    <LogonTrigger>",
    element("      ", "Enabled", "true"),
    element("      ", "UserId", account.userId),
    "    </LogonTrigger>",
    "  </Triggers>",
    "  <Principals>",
    '    <Principal id="Author">',
    element("      ", "UserId", account.userId),
    element("      ", "LogonType", "InteractiveToken"),
    element("      ", "RunLevel", "LeastPrivilege"),
    "    </Principal>",
    "  </Principals>",
    "  <Settings>",
    element("    ", "MultipleInstancesPolicy", "IgnoreNew"),
    element("    ", "DisallowStartIfOnBatteries", "false"),
    element("    ", "StopIfGoingOnBatteries", "false"),
    element("    ", "AllowHardTerminate", "true"),
    element("    ", "StartWhenAvailable", "false"),
    element("    ", "RunOnlyIfNetworkAvailable", "false"),
    "    <IdleSettings>",
    element("      ", "StopOnIdleEnd", "false"),
    element("      ", "RestartOnIdle", "false"),
    "    </IdleSettings>",
    element("    ", "AllowStartOnDemand", "true"),
    element("    ", "Enabled", "true"),
    element("    ", "Hidden", "false"),
    element("    ", "RunOnlyIfIdle", "false"),
    element("    ", "WakeToRun", "false"),
    "    <!-- It runs all day: no time limit. -->",
    element("    ", "ExecutionTimeLimit", "PT0S"),
    "    <RestartOnFailure>",
    element("      ", "Interval", `PT${restartMinutes}M`),
    element("      ", "Count", "3"),
    "    </RestartOnFailure>",
    "  </Settings>",
    '  <Actions Context="Author">',
    "    <Exec>",
    element("      ", "Command", withoutVariables("The program", program!)),
    element("      ", "Arguments", withoutVariables("The argument list", args.map(windowsArgument).join(" "))),
    element("      ", "WorkingDirectory", withoutVariables("The working directory", description.workingDirectory)),
    "    </Exec>",
    "  </Actions>",
    "</Task>",
    "",
  ].join("\r\n");
}

/** The XML as schtasks reads it: UTF-16 little-endian with a byte order mark (UTF-8 is refused). */
export function taskXmlBytes(xml: string): Uint8Array {
  return Buffer.from(`\uFEFF${xml}`, "utf16le");
}

/** `reg query KEY` output: the values, by name in upper case (Windows variable names ignore case). Pure. */
export function parseRegQuery(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s{4}(\S.*?)\s{4}REG_(?:EXPAND_)?SZ\s{4}(.*)$/.exec(line);
    if (match) values.set(match[1]!.toUpperCase(), match[2]!);
  }
  return values;
}

/**
 * The variables the service needs that the logon task would not have: a task gets the account's
 * environment (user, then machine), never the one of the shell that installed it. PATH is left
 * out: the account's is what every new terminal has. Pure.
 */
export function variablesTheTaskLacks(
  wanted: Readonly<Record<string, string>>,
  account: ReadonlyMap<string, string>,
  defaultHome: string,
): { name: string; value: string }[] {
  const lacking: { name: string; value: string }[] = [];
  for (const [name, value] of Object.entries(wanted)) {
    if (name === "PATH") continue;
    const theirs = account.get(name.toUpperCase()) ?? (name === "STIGMER_HOME" ? defaultHome : undefined);
    const same = name === "STIGMER_HOME" && theirs !== undefined ? path.win32.resolve(theirs).toLowerCase() === path.win32.resolve(value).toLowerCase() : theirs === value;
    if (!same) lacking.push({ name, value });
  }
  return lacking;
}

/** Task states as PowerShell's Get-ScheduledTask names them, and the results that are not exit codes. */
const TASK_HAS_NOT_RUN = 0x41303;
const TASK_IS_RUNNING = 0x41301;

/** `{"state": "Running", "lastResult": 0}` from the PowerShell query, as a state. Pure. */
export function taskState(json: string): ServiceState {
  const { state, lastResult } = JSON.parse(json) as { state: string; lastResult: number };
  if (state === "Running") return { state: "running", pid: null, detail: null };
  const exitCode = lastResult === TASK_HAS_NOT_RUN || lastResult === TASK_IS_RUNNING ? 0 : lastResult;
  return { state: "stopped", pid: null, detail: exitCode !== 0 ? `last run ended with exit code ${exitCode}` : state === "Disabled" ? "disabled" : null };
}

const USER_ENVIRONMENT = "HKCU\\Environment";
const MACHINE_ENVIRONMENT = "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Environment";

export function taskSchedulerManager(context: ManagerContext): ServiceManager {
  const user = context.env.USERNAME ?? "";
  const userId = context.env.USERDOMAIN ? `${context.env.USERDOMAIN}\\${user}` : user;
  // Task names are the machine's, not the user's.
  const taskName = `stigmer-${user}`;
  const file = path.join(context.layout.home, "logon-task.xml");
  const schtasks = (run: RunCommand, args: readonly string[]) => runChecked(run, "schtasks", args, `See the task: schtasks /Query /TN ${taskName} /V /FO LIST`);
  const registered = (run: RunCommand) => run("schtasks", ["/Query", "/TN", taskName]).status === 0;
  const query = (run: RunCommand): ServiceState => {
    const script = `$ErrorActionPreference = 'Stop'; $task = Get-ScheduledTask -TaskName '${taskName.replaceAll("'", "''")}'; $info = Get-ScheduledTaskInfo -InputObject $task; @{ state = [string]$task.State; lastResult = $info.LastTaskResult } | ConvertTo-Json -Compress`;
    const said = run("powershell.exe", ["-NoProfile", "-NonInteractive", "-Command", script]);
    if (said.status !== 0) return { state: "unknown", pid: null, detail: `Task Scheduler did not answer: ${said.stderr.trim().split("\n")[0] ?? ""}` };
    return taskState(said.stdout.trim());
  };
  return {
    title: `logon task ${taskName}`,
    file,
    render: (description) => taskXmlBytes(renderTaskXml(description, { userId })),
    logsErrors: false,
    stopsGracefully: false,
    check(description, run) {
      if (user === "") throw new StigmerError("USERNAME is not set, so the logon task would have no user.", { fix: "Run install-service from your own account's terminal." });
      const account = new Map([...parseRegQuery(run("reg", ["query", MACHINE_ENVIRONMENT]).stdout), ...parseRegQuery(run("reg", ["query", USER_ENVIRONMENT]).stdout)]);
      const lacking = variablesTheTaskLacks(description.environment, account, stigmerHome({}, context.homeDir));
      if (lacking.length === 0) return;
      throw new StigmerError(`A logon task cannot set environment variables, and your account does not have ${lacking.map((entry) => entry.name).join(", ")} as this terminal does.`, {
        fix: `Set them for your account, open a new terminal, and run install-service again: ${lacking.map((entry) => `setx ${entry.name} ${windowsArgument(entry.value)}`).join(" & ")}`,
      });
    },
    activate(run, { now, changed }) {
      schtasks(run, ["/Create", "/TN", taskName, "/XML", file, "/F"]);
      const running = query(run).state === "running";
      if (!now) return running && changed ? ["It runs with its former settings until you run: stigmer local install-service --now"] : [];
      if (running && !changed) return [];
      if (running) schtasks(run, ["/End", "/TN", taskName]);
      schtasks(run, ["/Run", "/TN", taskName]);
      return [];
    },
    installed: (run) => existsSync(file) || registered(run),
    remove(run) {
      if (registered(run)) {
        if (query(run).state === "running") schtasks(run, ["/End", "/TN", taskName]);
        schtasks(run, ["/Delete", "/TN", taskName, "/F"]);
      }
      rmSync(file, { force: true });
    },
    query,
    hints: { start: `schtasks /Run /TN ${taskName}`, stop: "stigmer local stop" },
  };
}
