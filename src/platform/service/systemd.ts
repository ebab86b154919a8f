// Linux: a systemd user unit, ~/.config/systemd/user/stigmer.service, driven with `systemctl --user`.
import { existsSync, rmSync } from "node:fs";
import path from "node:path";
import { StigmerError } from "../../cli/errors.ts";
import type { ServiceDescription } from "./description.ts";
import type { ManagerContext, ServiceManager, ServiceRunState, ServiceState } from "./manager.ts";
import { runChecked, type RunCommand } from "./run-command.ts";

export const UNIT_NAME = "stigmer.service";

/** `$XDG_CONFIG_HOME/systemd/user`, else `~/.config/systemd/user`: where a user manager looks for the user's own units. */
export function userUnitDirectory(env: Readonly<Record<string, string | undefined>>, homeDir: string): string {
  const configHome = env.XDG_CONFIG_HOME?.trim();
  return path.join(configHome && path.isAbsolute(configHome) ? configHome : path.join(homeDir, ".config"), "systemd", "user");
}

/** `%` starts a specifier everywhere in a unit file (systemd.unit(5)); `%%` is one `%`. */
function withoutSpecifiers(text: string): string {
  return text.replaceAll("%", "%%");
}

const NAMED_ESCAPES: Record<string, string> = { "\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r" };

/** C escapes, as systemd reads them inside quotes: backslash, quote and control characters. */
function cEscaped(text: string): string {
  return text.replace(/[\\"\u0000-\u001f\u007f]/g, (char) => NAMED_ESCAPES[char] ?? `\\x${char.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/** Words that need no quotes: letters and digits of any script, and punctuation systemd gives no meaning. */
const PLAIN_WORD = /^[\p{L}\p{N}_@%$+=:,./~-]+$/u;

/**
 * One word of ExecStart (systemd.service(5), "Command lines"): quoted when it holds whitespace,
 * quotes, backslashes, a lone `;` (which separates commands) or control characters; `%` and `$`
 * doubled everywhere (`$` starts a variable there).
 */
export function execWord(word: string): string {
  const literal = withoutSpecifiers(word).replaceAll("$", "$$$$");
  return word !== "" && PLAIN_WORD.test(word) ? literal : `"${cEscaped(literal)}"`;
}

/**
 * The program, ExecStart's first word: systemd takes it as a path, with specifiers but without
 * variables (`$` is itself), and refuses one with quotes, backslashes or control characters.
 */
export function execProgram(program: string): string {
  if (/["'\\\u0000-\u001f\u007f]/.test(program)) {
    throw new StigmerError(`systemd does not run a program whose path holds quotes, backslashes or control characters: ${program}`, {
      fix: "Put stigmer in a directory whose path has none (~/.local/bin, say), and run install-service from there.",
    });
  }
  const literal = withoutSpecifiers(program);
  return PLAIN_WORD.test(program) ? literal : `"${literal}"`;
}

/** One `Environment=` assignment, quoted whole; `$` means nothing there (systemd.exec(5)). */
export function environmentAssignment(name: string, value: string): string {
  return `"${cEscaped(withoutSpecifiers(`${name}=${value}`))}"`;
}

/**
 * A path setting (WorkingDirectory=, StandardError=append:) takes the rest of the line as it is:
 * no quotes, and surrounding whitespace is dropped. What it cannot hold is refused.
 */
export function pathValue(setting: string, value: string): string {
  if (/[\u0000-\u001f\u007f]/.test(value) || value.trim() !== value) {
    throw new StigmerError(`${JSON.stringify(value)} cannot be written as ${setting} in a systemd unit (control characters, or spaces at an end).`, {
      fix: "Point STIGMER_HOME at a directory whose path has neither.",
    });
  }
  return withoutSpecifiers(value);
}

const seconds = (ms: number) => `${Math.ceil(ms / 1000)}s`;

/** The unit file. Pure. */
export function renderSystemdUnit(description: ServiceDescription): string {
  const environment = Object.entries(description.environment).map(([name, value]) => `Environment=${environmentAssignment(name, value)}`);
  return [
    "# Written by `stigmer local install-service`; `stigmer local uninstall-service` removes it.",
    "# It holds no key: `stigmer local start` reads the keys from the keyring each time it starts.",
    "[Unit]",
    `Description=${withoutSpecifiers(description.summary)}`,
    "",
    "[Service]",
    "# Started once stigmer runs; `stigmer local status` tells when the stack is ready.",
    "Type=exec",
    `ExecStart=${[execProgram(description.command[0]!), ...description.command.slice(1).map(execWord)].join(" ")}`,
    `WorkingDirectory=${pathValue("WorkingDirectory", description.workingDirectory)}`,
    ...environment,
    "StandardInput=null",
    "# The runner's output is in its own log; stderr keeps why a start failed.",
    "StandardOutput=null",
    `StandardError=append:${pathValue("StandardError", description.errorLog)}`,
    "Restart=on-failure",
    `RestartSec=${seconds(description.restartDelayMs)}`,
    "# 2: a usage or config.toml error, which another try will not mend.",
    "RestartPreventExitStatus=2",
    "# SIGTERM to stigmer alone, which stops the stack in order; what is left after TimeoutStopSec is killed.",
    "KillMode=mixed",
    `TimeoutStopSec=${seconds(description.stopTimeoutMs)}`,
    "",
    "[Install]",
    "WantedBy=default.target",
    "",
  ].join("\n");
}

/** `systemctl --user show`'s `Name=value` lines. Pure. */
export function parseShow(text: string): Record<string, string> {
  const properties: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const equals = line.indexOf("=");
    if (equals > 0) properties[line.slice(0, equals)] = line.slice(equals + 1);
  }
  return properties;
}

/** What `systemctl --user show` says, as a state. Pure. */
export function unitState(properties: Record<string, string>): ServiceState {
  const pid = Number(properties.MainPID);
  const active = properties.ActiveState ?? "";
  const state: ServiceRunState =
    properties.SubState === "auto-restart" ? "restarting" : active === "active" || active === "activating" || active === "reloading" ? "running" : "stopped";
  const status = properties.ExecMainStatus;
  const detail = properties.Result && properties.Result !== "success" ? `${properties.Result}${status && status !== "0" ? `, exit status ${status}` : ""}` : null;
  return { state, pid: Number.isInteger(pid) && pid > 0 ? pid : null, detail };
}

const NO_SYSTEMD_FIX = "This Linux does not run systemd: start the stack from your session's autostart instead (stigmer local start --detach).";

export function systemdManager(context: ManagerContext): ServiceManager {
  const file = path.join(userUnitDirectory(context.env, context.homeDir), UNIT_NAME);
  const systemctl = (run: RunCommand, args: readonly string[], fix: string) => runChecked(run, "systemctl", ["--user", ...args], fix);
  /** A user manager answers: there is one for this login (or lingering), and XDG_RUNTIME_DIR leads to it. */
  const managerAnswers = (run: RunCommand) => run("systemctl", ["--user", "show-environment"]).status === 0;
  const noManager = (run: RunCommand) => {
    const said = run("systemctl", ["--user", "show-environment"]);
    if (said.missing) return new StigmerError("systemctl is not installed.", { fix: NO_SYSTEMD_FIX });
    return new StigmerError(`systemd's user manager does not answer (${said.stderr.trim() || `exit ${said.status}`}); ${file} is written and enabled for your next login.`, {
      fix: "Run it again with --now from a desktop or `ssh` login session; a user manager without a login needs `loginctl enable-linger $USER` first.",
    });
  };
  return {
    title: `systemd user unit ${UNIT_NAME}`,
    file,
    render: (description) => new TextEncoder().encode(renderSystemdUnit(description)),
    logsErrors: true,
    stopsGracefully: true,
    check() {},
    activate(run, { now, changed }) {
      // Works without a user manager too: enabling is a link in default.target.wants.
      systemctl(run, ["enable", UNIT_NAME], NO_SYSTEMD_FIX);
      if (!now) {
        const running = managerAnswers(run) && unitState(parseShow(run("systemctl", ["--user", "show", UNIT_NAME]).stdout)).state !== "stopped";
        return running && changed ? [`It runs with its former settings until it is restarted: systemctl --user restart ${UNIT_NAME}`] : [];
      }
      if (!managerAnswers(run)) throw noManager(run);
      systemctl(run, ["daemon-reload"], "Look at the unit: systemctl --user cat stigmer");
      systemctl(run, [changed ? "restart" : "start", UNIT_NAME], `See why: systemctl --user status ${UNIT_NAME}, and the log in STIGMER_HOME/logs/service.log`);
      return [];
    },
    installed: () => existsSync(file),
    remove(run) {
      const online = managerAnswers(run);
      systemctl(run, online ? ["disable", "--now", UNIT_NAME] : ["disable", UNIT_NAME], NO_SYSTEMD_FIX);
      rmSync(file, { force: true });
      if (online) {
        // Forgets the unit, and a failed state it may have kept.
        run("systemctl", ["--user", "daemon-reload"]);
        run("systemctl", ["--user", "reset-failed", UNIT_NAME]);
      }
    },
    query(run) {
      const said = run("systemctl", ["--user", "show", UNIT_NAME, "--property=ActiveState,SubState,MainPID,Result,ExecMainStatus"]);
      if (said.status !== 0) {
        return { state: "unknown", pid: null, detail: said.missing ? "systemctl is not installed" : `systemd's user manager does not answer: ${said.stderr.trim()}` };
      }
      return unitState(parseShow(said.stdout));
    },
    hints: { start: `systemctl --user start ${UNIT_NAME}`, stop: `systemctl --user stop ${UNIT_NAME}` },
  };
}
