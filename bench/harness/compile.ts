// Small programs compiled by the Bun running the bench (the one that compiles stigmer): the start-up floor, and
// the probes of `--probes`.
import { writeFileSync } from "node:fs";
import path from "node:path";
import type { BunPlugin } from "bun";
import { grpcBackoffPlugin } from "../../build/grpc-backoff.ts";

/**
 * bare: what `bun build --compile` does with no flags.
 * stigmer: build.ts's settings: minify, bytecode, no source map, no .env or bunfig.toml read at start, and grpc-js's
 * backoff timer without local time (build/grpc-backoff.ts).
 */
export type CompileSettings = "bare" | "stigmer";

/** Compiles `source` (TypeScript) into `dir/name`, returning the executable's path. */
export async function compileProgram(dir: string, name: string, source: string, settings: CompileSettings, plugins: BunPlugin[] = []): Promise<string> {
  const entry = path.join(dir, `${name}.ts`);
  const outfile = path.join(dir, name);
  writeFileSync(entry, source);
  const result =
    settings === "bare"
      ? await Bun.build({ entrypoints: [entry], compile: { outfile } })
      : await Bun.build({
          entrypoints: [entry],
          compile: { outfile, autoloadDotenv: false, autoloadBunfig: false },
          minify: true,
          bytecode: true,
          sourcemap: "none",
          plugins: [...plugins, grpcBackoffPlugin()],
        });
  if (!result.success) throw new Error(`${name} did not compile:\n${result.logs.join("\n")}`);
  return outfile;
}
