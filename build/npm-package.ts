// Fetching a platform package that npm did not install here (another platform's), exactly as
// package-lock.json records it: the tarball must match the lock file's integrity.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";

export const ROOT = path.resolve(import.meta.dir, "..");

export function readJson(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
}

/** The lock file's record of a package: the version and integrity npm would install. */
function lockedPackage(name: string): { version: string; integrity: string } {
  const packages = readJson(path.join(ROOT, "package-lock.json")).packages as Record<string, { version?: string; integrity?: string }>;
  const locked = packages[`node_modules/${name}`];
  if (locked?.version === undefined || locked.integrity === undefined) throw new Error(`${name} is not in package-lock.json`);
  return { version: locked.version, integrity: locked.integrity };
}

/** Unpacks `name@version` from the registry into `into`/package, after checking the tarball against package-lock.json. */
export function fetchLockedPackage(name: string, version: string, into: string): void {
  const locked = lockedPackage(name);
  if (locked.version !== version) throw new Error(`package-lock.json has ${name}@${locked.version}, but ${version} is wanted`);
  rmSync(into, { recursive: true, force: true });
  mkdirSync(into, { recursive: true });
  const packed = JSON.parse(
    execFileSync("npm", ["pack", `${name}@${version}`, "--pack-destination", into, "--json", "--silent"], { encoding: "utf8" }),
  ) as { filename: string }[];
  const tarball = path.join(into, packed[0]!.filename);
  const [algorithm, expected] = locked.integrity.split("-", 2) as [string, string];
  const actual = createHash(algorithm).update(readFileSync(tarball)).digest("base64");
  if (actual !== expected) {
    rmSync(into, { recursive: true, force: true });
    throw new Error(`${name}@${version} from the registry does not match the integrity in package-lock.json`);
  }
  execFileSync("tar", ["-xzf", tarball, "-C", into]);
  rmSync(tarball);
}
