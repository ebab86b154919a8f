// The files from the npm registry inside a release binary, each target's Bun runtime and keyring
// addon, with their SHA-256 recorded in build/digests.json. Both come from caches, where a file
// can be changed after it was fetched; so each build checks every file it used against the record
// and fails on a mismatch, deleting what it built. Only `bun build.ts --update-digests` writes
// the record, from packages fetched anew and checked against package-lock.json's integrity.
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import path from "node:path";
import { installedKeyringVersion } from "./keyring-addon.ts";
import { fetchLockedPackage, readJson, ROOT } from "./npm-package.ts";
import { isHost, TARGETS, type Target } from "./targets.ts";

export const DIGESTS_FILE = path.join(ROOT, "build", "digests.json");

/** A file inside an npm package: what a digest is recorded for. */
export interface PackageFile {
  name: string;
  version: string;
  file: string;
}

/** `@oven/bun-linux-aarch64@1.4.4/bin/bun`: the key in digests.json. */
export function fileLabel(file: PackageFile): string {
  return `${file.name}@${file.version}/${file.file}`;
}

/** The runtime `bun build --compile` embeds for the target: that of the running Bun's version. */
export function runtimeOf(target: Target): PackageFile {
  return { name: target.bunPackage, version: Bun.version, file: target.bunRuntime };
}

export function addonOf(target: Target): PackageFile {
  return { name: target.keyringPackage, version: installedKeyringVersion(), file: target.keyringAddon };
}

/**
 * Where `bun build --compile` keeps another platform's runtime: BUN_INSTALL_CACHE_DIR, else
 * ~/.bun/install/cache (Bun 1.4 reads neither BUN_INSTALL nor XDG_CACHE_HOME for these; tried).
 */
export function cachedRuntimePath(target: Target, env: Readonly<Record<string, string | undefined>> = process.env): string {
  const cache = env.BUN_INSTALL_CACHE_DIR ? path.resolve(env.BUN_INSTALL_CACHE_DIR) : path.join(homedir(), ".bun", "install", "cache");
  return path.join(cache, `${target.bunPackage.replace("@oven/", "")}-v${Bun.version}`);
}

export function readDigests(): Record<string, string> {
  return readJson(DIGESTS_FILE) as Record<string, string>;
}

function sha256(file: string): string {
  return createHash("sha256").update(readFileSync(file)).digest("hex");
}

const UPDATE = "bun build.ts --update-digests, then review and commit build/digests.json";

/** Throws unless the file at `onDisk` is `expected` byte for byte, as recorded. */
export function checkDigest(onDisk: string, expected: PackageFile, recorded: Record<string, string>): void {
  const label = fileLabel(expected);
  const wanted = recorded[label];
  if (wanted === undefined) throw new Error(`build/digests.json records no digest for ${label}.\n  If it was upgraded on purpose: ${UPDATE}.`);
  if (!existsSync(onDisk)) {
    throw new Error(`${label} was used from ${onDisk}, and is not there.\n  Set BUN_INSTALL_CACHE_DIR to where Bun keeps its runtimes (npm run build:all uses node_modules/.cache/bun).`);
  }
  const actual = sha256(onDisk);
  if (actual !== wanted) {
    throw new Error(
      `${onDisk} is not ${label}: its sha256 is ${actual}, build/digests.json records ${wanted}.\n` +
        `  The cached file was changed or damaged. Delete it and build again: it is fetched anew and checked.`,
    );
  }
}

/** Checks the files the target's binary was just built from; this machine's runtime is the running Bun, installed by npm from the lock file. */
export function checkTargetInputs(target: Target, addon: string): void {
  const recorded = readDigests();
  checkDigest(addon, addonOf(target), recorded);
  if (!isHost(target)) checkDigest(cachedRuntimePath(target), runtimeOf(target), recorded);
}

/** Fetches every target's runtime and addon package, checked against package-lock.json, and records their files' digests. */
export function updateDigests(): string[] {
  const fetched = mkdtempSync(path.join(tmpdir(), "stigmer-digests-"));
  const recorded: Record<string, string> = {};
  try {
    for (const file of TARGETS.flatMap((target) => [runtimeOf(target), addonOf(target)])) {
      const into = path.join(fetched, file.name.replace("/", "+"));
      fetchLockedPackage(file.name, file.version, into);
      recorded[fileLabel(file)] = sha256(path.join(into, "package", file.file));
      rmSync(into, { recursive: true, force: true });
    }
  } finally {
    rmSync(fetched, { recursive: true, force: true });
  }
  const previous = existsSync(DIGESTS_FILE) ? readDigests() : {};
  const sorted = Object.fromEntries(Object.entries(recorded).sort(([a], [b]) => a.localeCompare(b)));
  writeFileSync(DIGESTS_FILE, `${JSON.stringify(sorted, null, 2)}\n`);
  return Object.keys(sorted).filter((label) => previous[label] !== sorted[label]);
}
