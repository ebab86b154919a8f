// The release files of `npm run build:all` (npm test runs it first): every target, checksums,
// the Homebrew formula and the Scoop manifest, the keyring addon inside each binary, and a
// binary that ignores the files of the directory it is started in.
// STIGMER_DIST points at another build:all output directory.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { addonOf, cachedRuntimePath, fileLabel, readDigests, runtimeOf } from "../build/digests.ts";
import { cachedAddonPath, keyringAddonPath } from "../build/keyring-addon.ts";
import {
  DEFAULT_RELEASE_BASE_URL,
  INSTALL_BEGIN,
  INSTALL_END,
  installSection,
  parseChecksums,
  releaseSettings,
  releaseUrl,
  sha256,
} from "../build/release.ts";
import { archiveName, binaryName, commandName, hostTarget, isHost, TARGETS, type Target } from "../build/targets.ts";
import packageJson from "../package.json" with { type: "json" };
import { cleanEnv, cleanupAll, ROOT, tempDir } from "./helpers.ts";
import { startKeyringSession, type KeyringSession } from "./secrets/session.ts";

const DIST = process.env.STIGMER_DIST ?? path.join(ROOT, "dist");
/** What build:all uses unless told otherwise; npm test does not override it. */
const SETTINGS = releaseSettings({}, {});

let checksums: Map<string, string>;

beforeAll(() => {
  const sums = path.join(DIST, "SHA256SUMS");
  if (!existsSync(sums)) throw new Error(`${sums} is missing: run npm run build:all (npm test does).`);
  checksums = parseChecksums(readFileSync(sums, "utf8"));
});

afterAll(cleanupAll);

describe("npm run build:all", () => {
  test("builds every target, and packs each as the command users run", () => {
    for (const target of TARGETS) {
      const binary = path.join(DIST, binaryName(target));
      expect(existsSync(binary)).toBe(true);
      if (target.os !== "windows") expect(statSync(binary).mode & 0o111).not.toBe(0);
      expect(archiveEntries(target)).toEqual([commandName(target)]);
    }
  });

  test("SHA256SUMS covers every release file and verifies with sha256sum", () => {
    const expected = [...TARGETS.flatMap((target) => [binaryName(target), archiveName(target)]), "stigmer.json", "stigmer.rb"].sort();
    expect([...checksums.keys()]).toEqual(expected);
    const check = spawnSync("sha256sum", ["--strict", "-c", "SHA256SUMS"], { cwd: DIST, encoding: "utf8" });
    expect(check.stderr).toBe("");
    expect(check.status).toBe(0);
  });

  test("each archive holds exactly its binary", async () => {
    for (const target of TARGETS) {
      const unpacked = tempDir("stigmer-unpacked-");
      if (target.os === "windows") python(UNZIP, path.join(DIST, archiveName(target)), unpacked);
      else execFileSync("tar", ["-xzf", path.join(DIST, archiveName(target)), "-C", unpacked]);
      expect(await sha256(path.join(unpacked, commandName(target)))).toBe(checksums.get(binaryName(target))!);
    }
  });

  test("the Homebrew formula names each platform's archive with its checksum", () => {
    const formula = readFileSync(path.join(DIST, "stigmer.rb"), "utf8");
    expect(formula).toContain(`version "${packageJson.version}"`);
    expect(formula).toContain('bin.install "stigmer"');
    const blocks = {
      darwin: block(formula, "on_macos"),
      linux: block(formula, "on_linux"),
    };
    const unixTargets = TARGETS.filter((target) => target.os !== "windows");
    for (const target of unixTargets) {
      const platform = block(blocks[target.os as "darwin" | "linux"], target.arch === "arm64" ? "on_arm" : "on_intel");
      expect(platform).toBe(
        `url "${releaseUrl(SETTINGS, archiveName(target))}"\nsha256 "${checksums.get(archiveName(target))}"`,
      );
    }
    expect(formula.match(/^\s*sha256 /gm)).toHaveLength(unixTargets.length);
  });

  test("the Scoop manifest names the Windows archive with its checksum", () => {
    const windows = TARGETS.find((target) => target.os === "windows")!;
    const manifest = JSON.parse(readFileSync(path.join(DIST, "stigmer.json"), "utf8"));
    expect(manifest).toMatchObject({
      version: packageJson.version,
      architecture: { "64bit": { url: releaseUrl(SETTINGS, archiveName(windows)), hash: checksums.get(archiveName(windows)) } },
      bin: "stigmer.exe",
    });
  });

  test("the release URLs use the default base unless the build is told otherwise", () => {
    expect(SETTINGS.baseUrl).toBe(DEFAULT_RELEASE_BASE_URL.replace("{version}", packageJson.version));
    const custom = releaseSettings({}, { STIGMER_RELEASE_BASE_URL: "https://downloads.example.com/stigmer/{version}/" });
    expect(releaseUrl(custom, "SHA256SUMS")).toBe(`https://downloads.example.com/stigmer/${packageJson.version}/SHA256SUMS`);
    expect(releaseSettings({ baseUrl: "https://flag.example.com" }, { STIGMER_RELEASE_BASE_URL: "https://env.example.com" }).baseUrl).toBe(
      "https://flag.example.com",
    );
  });

  test("each binary embeds its own platform's keyring addon and no other, and knows its target", () => {
    const addons = TARGETS.map((target) => ({ target, bytes: readFileSync(keyringAddonPath(target)) }));
    for (const target of TARGETS) {
      const binary = readFileSync(path.join(DIST, binaryName(target)));
      const embedded = addons.filter((addon) => binary.includes(addon.bytes)).map((addon) => addon.target.name);
      expect({ binary: binaryName(target), embedded }).toEqual({ binary: binaryName(target), embedded: [target.name] });
      // STIGMER_BUILD as the minifier writes the define into the bundle.
      expect(binary.includes(`target:"${target.runtime}"`)).toBe(true);
    }
  });

  test("this machine's binary reports its build", () => {
    const host = hostTarget();
    const result = spawnSync(path.join(DIST, binaryName(host)), ["version", "--json"], { env: cleanEnv(), encoding: "utf8" });
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ version: packageJson.version, target: host.runtime });
  });
});

describe("every runtime and addon a build uses is checked against build/digests.json", () => {
  /** The first target built from a cache: its files are checked before any other target's. */
  const victim = TARGETS.find((target) => !isHost(target))!;
  /** Where build:all keeps the runtimes (BUN_INSTALL_CACHE_DIR, as npm run build:all sets it). */
  const runtimeCache = path.resolve(process.env.BUN_INSTALL_CACHE_DIR ?? path.join(ROOT, "node_modules", ".cache", "bun"));

  /** A copy of `from` at `to` with one byte changed. */
  function tamperedCopy(from: string, to: string): void {
    const bytes = readFileSync(from);
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    mkdirSync(path.dirname(to), { recursive: true });
    writeFileSync(to, bytes);
  }

  function releaseBuild(env: Record<string, string>) {
    const outdir = tempDir("stigmer-tampered-dist-");
    const result = spawnSync(process.execPath, ["build.ts", "--all", "--outdir", outdir], {
      cwd: ROOT,
      env: { ...process.env, BUN_INSTALL_CACHE_DIR: runtimeCache, ...env },
      encoding: "utf8",
      timeout: 180_000,
    });
    return { ...result, outdir };
  }

  test("digests.json records each target's Bun runtime and keyring addon", () => {
    const recorded = readDigests();
    for (const target of TARGETS) for (const file of [runtimeOf(target), addonOf(target)]) expect(recorded[fileLabel(file)]).toMatch(/^[0-9a-f]{64}$/);
  });

  test("a Bun runtime changed in the cache: the release build fails, names it, and leaves no binary built with it", () => {
    const cache = tempDir("stigmer-tampered-runtimes-");
    const tampered = cachedRuntimePath(victim, { BUN_INSTALL_CACHE_DIR: cache });
    tamperedCopy(cachedRuntimePath(victim, { BUN_INSTALL_CACHE_DIR: runtimeCache }), tampered);
    const build = releaseBuild({ BUN_INSTALL_CACHE_DIR: cache });
    expect(build.status).toBe(1);
    expect(build.stderr).toContain(`${tampered} is not ${fileLabel(runtimeOf(victim))}`);
    expect(existsSync(path.join(build.outdir, binaryName(victim)))).toBe(false);
    expect(existsSync(path.join(build.outdir, "SHA256SUMS"))).toBe(false);
  }, 180_000);

  test("a keyring addon changed in the cache: the same", () => {
    const cache = tempDir("stigmer-tampered-addons-");
    const tampered = cachedAddonPath(victim, cache);
    tamperedCopy(keyringAddonPath(victim), tampered);
    const build = releaseBuild({ STIGMER_ADDON_CACHE_DIR: cache });
    expect(build.status).toBe(1);
    expect(build.stderr).toContain(`${tampered} is not ${fileLabel(addonOf(victim))}`);
    expect(existsSync(path.join(build.outdir, binaryName(victim)))).toBe(false);
    expect(existsSync(path.join(build.outdir, "SHA256SUMS"))).toBe(false);
  }, 180_000);
});

describe("this machine's binary, copied away from node_modules", () => {
  let session: KeyringSession | undefined;
  afterAll(() => session?.stop());

  test("loads its embedded keyring addon and uses the Secret Service", async () => {
    session = await startKeyringSession();
    const elsewhere = tempDir("stigmer-release-copy-");
    const copy = path.join(elsewhere, commandName(hostTarget()));
    copyFileSync(path.join(DIST, binaryName(hostTarget())), copy);
    chmodSync(copy, 0o755);
    const run = (args: string[], input?: string) =>
      spawnSync(copy, args, { env: session!.env, cwd: elsewhere, input, encoding: "utf8", timeout: 30_000 });
    const stored = run(["secrets", "set", "RELEASE_KEY", "--stdin"], "sk-release-Kp3Wm8Qz\n");
    expect(stored.stderr).not.toContain("unavailable");
    expect(stored.status).toBe(0);
    expect(run(["secrets", "get", "RELEASE_KEY", "--reveal"]).stdout).toBe("sk-release-Kp3Wm8Qz\n");
  });
});

describe("a hostile working directory", () => {
  const HOSTILE_ENDPOINT = "hostile.invalid:6666";
  let directory: string;
  let marker: string;

  beforeAll(() => {
    directory = tempDir("stigmer-hostile-");
    marker = path.join(directory, "preload-ran");
    const dotenv = `STIGMER_BACKEND_ENDPOINT=${HOSTILE_ENDPOINT}\nANTHROPIC_API_KEY=sk-ant-from-dotenv\n`;
    for (const file of [".env", ".env.local", ".env.production", ".env.development"]) writeFileSync(path.join(directory, file), dotenv);
    writeFileSync(path.join(directory, "preload.ts"), `require("node:fs").writeFileSync(${JSON.stringify(marker)}, "ran");\n`);
    writeFileSync(path.join(directory, "bunfig.toml"), `preload = ["./preload.ts"]\n[run]\npreload = ["./preload.ts"]\n`);
  });

  /** This machine's release binary and the development one, started in the hostile directory. */
  const binaries = () => [path.join(DIST, binaryName(hostTarget())), path.join(DIST, "stigmer")].filter(existsSync);
  const run = (binary: string, args: string[], extra: Record<string, string> = {}) =>
    spawnSync(binary, args, { env: cleanEnv({ STIGMER_HOME: tempDir(), ...extra }), cwd: directory, encoding: "utf8", timeout: 30_000 });

  test("no .env sets the endpoint, and no bunfig.toml preload runs", () => {
    for (const binary of binaries()) {
      const status = run(binary, ["local", "status", "--json"]);
      expect(status.status).toBe(3);
      expect(JSON.parse(status.stdout).daemon.endpoint).toBe("localhost:50051");
      // The same setting from the environment does take effect: the check above is not vacuous.
      const fromEnvironment = run(binary, ["local", "status", "--json"], { STIGMER_BACKEND_ENDPOINT: HOSTILE_ENDPOINT });
      expect(JSON.parse(fromEnvironment.stdout).daemon.endpoint).toBe(HOSTILE_ENDPOINT);
    }
    expect(existsSync(marker)).toBe(false);
  });

  test("no .env provides a key", () => {
    for (const binary of binaries()) {
      const doctor = run(binary, ["doctor", "--json"]);
      const checks: { check: string; detail: string }[] = JSON.parse(doctor.stdout).checks;
      expect(checks.find((check) => check.check === "key")?.detail).toBe("ANTHROPIC_API_KEY is not set");
      expect(checks.find((check) => check.check === "keyring")?.detail).toContain("STIGMER_NO_KEYRING=1");
    }
    expect(existsSync(marker)).toBe(false);
  });
});

test("the README's install section is the one build.ts writes for the default settings", () => {
  const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf(INSTALL_BEGIN), readme.indexOf(INSTALL_END) + INSTALL_END.length);
  expect(section).toBe(installSection(SETTINGS));
});

const UNZIP = "import sys, zipfile\nzipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])";
const LIST_ZIP = "import sys, zipfile\nprint('\\n'.join(zipfile.ZipFile(sys.argv[1]).namelist()))";

function python(script: string, ...args: string[]): string {
  return execFileSync("python3", ["-c", script, ...args], { encoding: "utf8" });
}

function archiveEntries(target: Target): string[] {
  const archive = path.join(DIST, archiveName(target));
  const listing = target.os === "windows" ? python(LIST_ZIP, archive) : execFileSync("tar", ["-tzf", archive], { encoding: "utf8" });
  return listing.split("\n").filter(Boolean);
}

/** The body of the first `name do … end` block of a formula, lines trimmed. */
function block(text: string, name: string): string {
  const lines = text.split("\n");
  const start = lines.findIndex((line) => line.trim() === `${name} do`);
  expect(start).toBeGreaterThanOrEqual(0);
  const indent = lines[start]!.indexOf(name);
  const end = lines.findIndex((line, index) => index > start && line.trim() === "end" && line.indexOf("end") === indent);
  return lines
    .slice(start + 1, end)
    .map((line) => line.trim())
    .join("\n");
}
