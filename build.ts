// Compiles the single-file binary for this machine: `bun build.ts [--outfile PATH]` → dist/stigmer.
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { parseArgs } from "node:util";

const { values: flags } = parseArgs({ options: { outfile: { type: "string", default: "dist/stigmer" } } });
const outfile = flags.outfile!;

function gitCommit(): string {
  try {
    return execFileSync("git", ["rev-parse", "--short=12", "HEAD"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "unknown";
  }
}

const target = `${process.platform}-${process.arch}`;
const build = { commit: gitCommit(), date: new Date().toISOString(), target };
mkdirSync(dirname(outfile), { recursive: true });

const result = await Bun.build({
  entrypoints: ["src/main.ts"],
  compile: {
    outfile,
    // The binary is configured by its environment and STIGMER_HOME only, never by files where it is started.
    autoloadDotenv: false,
    autoloadBunfig: false,
  },
  minify: true,
  bytecode: true,
  sourcemap: "none",
  define: { STIGMER_BUILD: JSON.stringify(build) },
});
if (!result.success) {
  for (const message of result.logs) console.error(message);
  process.exit(1);
}
console.log(`built ${outfile} (${target}, ${build.commit})`);
