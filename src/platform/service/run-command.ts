// How the service managers' own tools (systemctl, launchctl, schtasks) are run: the one I/O edge of
// the per-OS steps, which take it as a parameter.
import { spawnSync } from "node:child_process";
import { StigmerError } from "../../cli/errors.ts";

export interface CommandResult {
  /** null when it could not be started (`missing`) or was killed. */
  status: number | null;
  stdout: string;
  stderr: string;
  /** The program is not installed. */
  missing: boolean;
}

export type RunCommand = (command: string, args: readonly string[]) => CommandResult;

/** A stop can take the whole stop grace of the stack; beyond this, the tool is hung. */
const TOOL_TIMEOUT_MS = 180_000;

/** Runs the tools with `env`: the one that says where the user's service manager is (XDG_RUNTIME_DIR, HOME). */
export function commandRunner(env: NodeJS.ProcessEnv): RunCommand {
  return (command, args) => {
    const result = spawnSync(command, args, { env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: TOOL_TIMEOUT_MS, windowsHide: true });
    const missing = (result.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT";
    return { status: result.status, stdout: result.stdout ?? "", stderr: result.stderr ?? (result.error?.message ?? ""), missing };
  };
}

/** The command line as people would type it, for messages. */
export function shown(command: string, args: readonly string[]): string {
  return [command, ...args].map((word) => (/^[\w@%+=:,./-]+$/.test(word) ? word : JSON.stringify(word))).join(" ");
}

/** Runs it and throws, naming the command and what it printed, when it fails. */
export function runChecked(run: RunCommand, command: string, args: readonly string[], fix: string): CommandResult {
  const result = run(command, args);
  if (result.status === 0) return result;
  const said = (result.stderr.trim() || result.stdout.trim()).split("\n").slice(-3).join(" ");
  const how = result.missing ? "is not installed" : `failed${result.status === null ? "" : ` (exit ${result.status})`}${said ? `: ${said}` : ""}`;
  throw new StigmerError(`${shown(command, args)} ${how}.`, { fix });
}

/** Waits without returning to the event loop: the per-OS steps are sequential, and few. */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
