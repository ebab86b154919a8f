// Compiles stigmer with `bun build --compile`.
//   bun build.ts [--outfile PATH]        this machine's binary → dist/stigmer (npm run build)
//   bun build.ts --all [--outdir DIR]    every release target → dist/ (npm run build:all): the binaries
//       stigmer-<os>-<arch>[.exe], their .tar.gz/.zip archives, SHA256SUMS, stigmer.rb (Homebrew), stigmer.json (Scoop)
//   bun build.ts --readme                rewrites the README's install section from the same settings
//   bun build.ts --update-digests        records in build/digests.json the digest of each target's Bun runtime and
//       keyring addon, fetched anew and checked against package-lock.json; every build checks the files it used against it
// Release settings: --release-base-url (or STIGMER_RELEASE_BASE_URL; `{version}` is replaced) and
// --homebrew-tap (or STIGMER_HOMEBREW_TAP); defaults in build/release.ts.
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { checkTargetInputs, updateDigests } from "./build/digests.ts";
import { stigmerBundling } from "./build/bundling.ts";
import { keyringAddonPath, keyringAddonPlugin } from "./build/keyring-addon.ts";
import {
  checksumsFile,
  homebrewFormula,
  releaseSettings,
  scoopManifest,
  sha256,
  updateReadme,
  writeArchive,
  type ReleaseSettings,
} from "./build/release.ts";
import { archiveName, binaryName, hostTarget, isHost, TARGETS, type Target } from "./build/targets.ts";

const { values: flags } = parseArgs({
  options: {
    outfile: { type: "string", default: "dist/stigmer" },
    all: { type: "boolean", default: false },
    outdir: { type: "string", default: "dist" },
    readme: { type: "boolean", default: false },
    "update-digests": { type: "boolean", default: false },
    "release-base-url": { type: "string" },
    "homebrew-tap": { type: "string" },
  },
});

function gitCommit(): string {
  try {
    return execFileSync("git", ["rev-parse", "--short=12", "HEAD"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "unknown";
  }
}

const commit = gitCommit();
/** The entry points src/main.ts loads by path (see there); in the binary each sits beside it, named after its path under src/. */
const SECOND_ENTRIES = { cli: "cli/run", supervisor: "lifecycle/supervisor/background" };
const date = new Date().toISOString();

async function compile(target: Target, outfile: string): Promise<void> {
  mkdirSync(path.dirname(outfile), { recursive: true });
  const addon = keyringAddonPath(target);
  const bundling = stigmerBundling();
  const result = await Bun.build({
    entrypoints: ["src/main.ts", ...Object.values(SECOND_ENTRIES).map((entry) => `src/${entry}.ts`)],
    compile: {
      // This machine's target is built by the running Bun itself; the others' runtimes come from the npm registry.
      ...(isHost(target) ? {} : { target: target.bunTarget }),
      outfile,
      // The binary is configured by its environment and STIGMER_HOME only, never by files where it is started.
      autoloadDotenv: false,
      autoloadBunfig: false,
    },
    plugins: [keyringAddonPlugin(addon), ...bundling.plugins],
    ...bundling.options,
    define: { STIGMER_BUILD: JSON.stringify({ commit, date, target: target.runtime }), STIGMER_ENTRIES: JSON.stringify(Object.fromEntries(Object.entries(SECOND_ENTRIES).map(([name, entry]) => [name, `./${entry}.js`]))) },
  });
  if (!result.success) {
    for (const message of result.logs) console.error(message);
    throw new Error(`the build for ${target.name} failed`);
  }
  const notRewritten = bundling.grpcSource.notRewritten();
  if (notRewritten.length > 0) {
    rmSync(outfile, { force: true });
    throw new Error(
      `the build for ${target.name} did not bundle @grpc/grpc-js's ${notRewritten.join(", ")}, which build/grpc-source.ts rewrites; ${outfile} was deleted. Check grpc-js's build/src against it.`,
    );
  }
  try {
    // After the build: the runtime may only have been fetched by it.
    checkTargetInputs(target, addon);
  } catch (error) {
    rmSync(outfile, { force: true });
    throw new Error(`the build for ${target.name} used a file that is not the one recorded; ${outfile} was deleted.\n${(error as Error).message}`);
  }
  console.log(`built ${outfile} (${target.name}, ${commit})`);
}

async function compileAll(outdir: string): Promise<void> {
  for (const target of TARGETS) await compile(target, path.join(outdir, binaryName(target)));
}

function archiveAll(outdir: string): void {
  for (const target of TARGETS) console.log(`packed ${writeArchive(outdir, target)}`);
}

/** Formula and manifest name the archives' checksums; SHA256SUMS then covers every file of the release. */
async function writeReleaseFiles(outdir: string, settings: ReleaseSettings): Promise<void> {
  const checksums = new Map<string, string>();
  const record = async (file: string) => checksums.set(file, await sha256(path.join(outdir, file)));
  for (const target of TARGETS) {
    await record(binaryName(target));
    await record(archiveName(target));
  }
  writeFileSync(path.join(outdir, "stigmer.rb"), homebrewFormula(settings, checksums));
  writeFileSync(path.join(outdir, "stigmer.json"), scoopManifest(settings, checksums));
  await record("stigmer.rb");
  await record("stigmer.json");
  writeFileSync(path.join(outdir, "SHA256SUMS"), checksumsFile(checksums));
  console.log(`wrote ${outdir}/SHA256SUMS, stigmer.rb and stigmer.json for ${settings.baseUrl}`);
}

const settings = releaseSettings({ baseUrl: flags["release-base-url"], homebrewTap: flags["homebrew-tap"] });
try {
  if (flags["update-digests"]) {
    const changed = updateDigests();
    console.log(changed.length === 0 ? "build/digests.json: unchanged" : `build/digests.json: recorded anew\n  ${changed.join("\n  ")}`);
  } else if (flags.readme) {
    updateReadme("README.md", settings);
    console.log(`README.md install section written for ${settings.baseUrl}`);
  } else if (flags.all) {
    await compileAll(flags.outdir!);
    archiveAll(flags.outdir!);
    await writeReleaseFiles(flags.outdir!, settings);
  } else {
    await compile(hostTarget(), flags.outfile!);
  }
} catch (error) {
  // Bun.build throws an AggregateError whose messages say what failed.
  const details = error instanceof AggregateError ? error.errors.map(String) : [];
  console.error([error instanceof Error ? error.message : String(error), ...details].join("\n"));
  process.exit(1);
}
