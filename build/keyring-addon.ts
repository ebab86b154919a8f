// Each binary embeds exactly its own platform's @napi-rs/keyring addon.
//
// npm installs only this machine's platform package, and the package's index.js chooses the
// addon at run time by process.platform, so the bundler cannot know which one a cross-compiled
// binary needs. The build therefore fetches the other platforms' packages (the version the
// installed @napi-rs/keyring pins, checked against package-lock.json) and resolves
// `@napi-rs/keyring` to a one-line module that requires that platform's `.node` file by its
// path: a static require of a `.node` file is what `bun build --compile` embeds.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import type { BunPlugin } from "bun";
import type { Target } from "./targets.ts";

const ROOT = path.resolve(import.meta.dir, "..");
const CACHE = path.join(ROOT, "node_modules", ".cache", "stigmer-keyring-addons");

function readJson(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
}

function installedKeyringVersion(): string {
  return String(readJson(path.join(ROOT, "node_modules", "@napi-rs", "keyring", "package.json")).version);
}

/** The lock file's record of a platform package: the version and integrity npm would install. */
function lockedPackage(name: string): { version: string; integrity: string } {
  const packages = readJson(path.join(ROOT, "package-lock.json")).packages as Record<string, { version?: string; integrity?: string }>;
  const locked = packages[`node_modules/${name}`];
  if (locked?.version === undefined || locked.integrity === undefined) throw new Error(`${name} is not in package-lock.json`);
  return { version: locked.version, integrity: locked.integrity };
}

/** The target's addon file: the installed package's, else one fetched once into node_modules/.cache. */
export function keyringAddonPath(target: Target): string {
  const version = installedKeyringVersion();
  const installed = path.join(ROOT, "node_modules", target.keyringPackage);
  if (existsSync(path.join(installed, target.keyringAddon)) && readJson(path.join(installed, "package.json")).version === version) {
    return path.join(installed, target.keyringAddon);
  }
  const unpacked = path.join(CACHE, `${target.keyringPackage.replace("/", "+")}@${version}`);
  const addon = path.join(unpacked, "package", target.keyringAddon);
  if (!existsSync(addon)) fetchPackage(target.keyringPackage, version, unpacked);
  return addon;
}

function fetchPackage(name: string, version: string, into: string): void {
  const locked = lockedPackage(name);
  if (locked.version !== version) throw new Error(`package-lock.json has ${name}@${locked.version}, but @napi-rs/keyring is ${version}`);
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

/** Makes `import("@napi-rs/keyring")` load `addon` and nothing else. */
export function keyringAddonPlugin(addon: string): BunPlugin {
  return {
    name: "stigmer-keyring-addon",
    setup(build) {
      // A virtual path not ending in `.node`: the bundler would treat that as the addon itself and leave it outside.
      build.onResolve({ filter: /^@napi-rs\/keyring$/ }, () => ({ path: "@napi-rs/keyring", namespace: "stigmer-keyring-addon" }));
      build.onLoad({ filter: /.*/, namespace: "stigmer-keyring-addon" }, () => ({
        contents: `module.exports = require(${JSON.stringify(addon)});`,
        loader: "js",
      }));
    },
  };
}
