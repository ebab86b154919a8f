import path from "node:path";
import which from "which";
import { osFamily } from "../files/paths.ts";
import { executableFile, lookUpOnPath } from "./path-lookup.ts";

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
  return executableFile(path.resolve(cwd, input));
}
