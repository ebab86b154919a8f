// Small programs compiled by the Bun running the bench (the one that compiles stigmer): the start-up floor, and
// the probes of `--probes`.
import { writeFileSync } from "node:fs";
import path from "node:path";
import type { BunPlugin } from "bun";
import { stigmerBundling } from "../../../build/bundling.ts";

/**
 * bare: what `bun build --compile` does with no flags.
 * stigmer: build.ts's settings: build/bundling.ts's (minified bytecode in chunks, grpc-js as stigmer bundles it), and
 * no .env or bunfig.toml read at start.
 */
export type CompileSettings = "bare" | "stigmer";

/** Compiles `source` (TypeScript) into `dir/name`, returning the executable's path. */
export async function compileProgram(dir: string, name: string, source: string, settings: CompileSettings, plugins: BunPlugin[] = []): Promise<string> {
  const entry = path.join(dir, `${name}.ts`);
  const outfile = path.join(dir, name);
  writeFileSync(entry, source);
  const bundling = stigmerBundling();
  const result =
    settings === "bare"
      ? await Bun.build({ entrypoints: [entry], compile: { outfile } })
      : await Bun.build({
          entrypoints: [entry],
          compile: { outfile, autoloadDotenv: false, autoloadBunfig: false },
          ...bundling.options,
          plugins: [...plugins, ...bundling.plugins],
        });
  if (!result.success) throw new Error(`${name} did not compile:\n${result.logs.join("\n")}`);
  return outfile;
}
