import { homedir } from "node:os";
import path from "node:path";

export type OsFamily = "posix" | "windows";

export function osFamily(platform: NodeJS.Platform = process.platform): OsFamily {
  return platform === "win32" ? "windows" : "posix";
}

function pathFor(family: OsFamily): typeof path.posix {
  return family === "windows" ? path.win32 : path.posix;
}

/** `STIGMER_HOME`, else `~/.stigmer`; always absolute. */
export function stigmerHome(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  const fromEnv = env.STIGMER_HOME?.trim();
  return path.resolve(fromEnv ? fromEnv : path.join(home, ".stigmer"));
}

/**
 * The interpreters a virtual environment inside the runner's directory may hold, best first:
 * `bin/python3` on macOS and Linux, `Scripts\python.exe` on Windows.
 */
/** The interpreter inside a virtual environment (VIRTUAL_ENV, Poetry's, a .venv). */
export function envPythonCandidates(envDir: string, family: OsFamily): string[] {
  const p = pathFor(family);
  const names = family === "windows" ? [p.join("Scripts", "python.exe")] : [p.join("bin", "python3"), p.join("bin", "python")];
  return names.map((name) => p.join(envDir, name));
}

export function venvPythonCandidates(runnerDir: string, family: OsFamily): string[] {
  const p = pathFor(family);
  return [".venv", "venv"].flatMap((venv) => envPythonCandidates(p.join(runnerDir, venv), family));
}

/** Commands to look for on PATH when no interpreter is given and the runner has no venv. */
export function pathPythonCommands(family: OsFamily): { command: string; args: string[] }[] {
  const common = [
    { command: "python3", args: [] },
    { command: "python", args: [] },
  ];
  return family === "windows" ? [...common, { command: "py", args: ["-3"] }] : common;
}

export function executableExtensions(family: OsFamily, env: NodeJS.ProcessEnv = process.env): string[] {
  if (family === "posix") return [""];
  return (env.PATHEXT ?? ".COM;.EXE;.BAT;.CMD").split(";").map((ext) => ext.toLowerCase());
}
