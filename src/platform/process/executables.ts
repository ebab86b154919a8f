import { accessSync, constants, statSync } from "node:fs";
import path from "node:path";
import which from "which";
import { osFamily } from "../files/paths.ts";
import { lookUpOnPath } from "./path-lookup.ts";

/** A command's full path on PATH (absolute entries only), or null. */
export function findOnPath(command: string): string | null {
  return lookUpOnPath(command, {
    path: process.env.PATH,
    family: osFamily(),
    executableAt: (file) => which.sync(file, { nothrow: true }),
  });
}

/** A path (made absolute from `cwd`) or a bare name looked up on PATH; null when it is not an executable file. */
export function resolveExecutable(input: string, cwd: string): string | null {
  if (!input.includes("/") && !input.includes(path.sep)) return findOnPath(input);
  const full = path.resolve(cwd, input);
  try {
    if (!statSync(full).isFile()) return null;
    if (process.platform !== "win32") accessSync(full, constants.X_OK);
    return full;
  } catch {
    return null;
  }
}
