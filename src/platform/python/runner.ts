import { accessSync, constants, statSync } from "node:fs";
import path from "node:path";
import { StigmerError } from "../../cli/errors.ts";
import { osFamily, executableExtensions, type OsFamily } from "../files/paths.ts";

/** How the Agent Runner is started: a Python script run by the resolved Python, or a program. */
export type RunnerTarget =
  | { kind: "python-script"; script: string; dir: string }
  | { kind: "executable"; executable: string; dir: string };

export const RUNNER_FIX =
  "Pass --runner PATH or set STIGMER_AGENT_RUNNER to the Agent Runner: a directory holding main.py, a .py file, or an executable.";

interface FileProbe {
  kind(file: string): "file" | "directory" | "missing";
  executable(file: string): boolean;
}

const diskProbe: FileProbe = {
  kind(file) {
    try {
      return statSync(file).isDirectory() ? "directory" : "file";
    } catch {
      return "missing";
    }
  },
  executable(file) {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  },
};

/**
 * Resolves `--runner` / `STIGMER_AGENT_RUNNER`. Pure given the probe, so every case is tested
 * without touching a disk.
 */
export function resolveRunner(
  input: string | undefined,
  cwd: string = process.cwd(),
  probe: FileProbe = diskProbe,
  family: OsFamily = osFamily(),
): RunnerTarget {
  if (!input || input.trim() === "") {
    throw new StigmerError("No Agent Runner given.", { fix: RUNNER_FIX });
  }
  const p = family === "windows" ? path.win32 : path.posix;
  const target = p.resolve(cwd, input);
  const kind = probe.kind(target);
  if (kind === "missing") {
    throw new StigmerError(`The Agent Runner ${target} does not exist.`, { fix: RUNNER_FIX });
  }
  if (kind === "directory") {
    const script = p.join(target, "main.py");
    if (probe.kind(script) !== "file") {
      throw new StigmerError(`The Agent Runner directory ${target} has no main.py (tried ${script}).`, {
        fix: `Point --runner at the directory that holds main.py, or at the script itself.`,
      });
    }
    return { kind: "python-script", script, dir: target };
  }
  if (p.extname(target).toLowerCase() === ".py") {
    return { kind: "python-script", script: target, dir: p.dirname(target) };
  }
  const runnable =
    family === "windows" ? executableExtensions(family).includes(p.extname(target).toLowerCase()) : probe.executable(target);
  if (!runnable) {
    throw new StigmerError(`The Agent Runner ${target} is neither a .py file nor executable.`, {
      fix: family === "windows" ? RUNNER_FIX : `Make it executable (chmod +x ${target}), or point --runner at its main.py.`,
    });
  }
  return { kind: "executable", executable: target, dir: p.dirname(target) };
}

/** `--server` / `STIGMER_SERVER_BIN`: the stigmer-server program the supervisor starts first. */
export function resolveServer(input: string, cwd: string = process.cwd(), probe: FileProbe = diskProbe, family: OsFamily = osFamily()): string {
  const p = family === "windows" ? path.win32 : path.posix;
  const target = p.resolve(cwd, input);
  const fix = "Point --server (STIGMER_SERVER_BIN) at the stigmer-server executable, or leave it out and start the server yourself.";
  if (probe.kind(target) !== "file") throw new StigmerError(`The server ${target} does not exist or is not a file.`, { fix });
  if (family === "posix" && !probe.executable(target)) {
    throw new StigmerError(`The server ${target} is not executable.`, { fix: `chmod +x ${target}` });
  }
  return target;
}
