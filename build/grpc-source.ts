// grpc-js files rewritten as they are bundled (build/grpc-backoff.ts, build/grpc-lazy-builtins.ts).
import { readFileSync } from "node:fs";
import type { BunPlugin } from "bun";

/** A file of grpc-js's build/src, by name, and its rewrite: pure, throwing when the file is not the one expected. */
export type GrpcRewrites = Record<string, (source: string) => string>;

export interface GrpcSourcePlugin extends BunPlugin {
  /**
   * The files it was to rewrite that the build did not bundle: build.ts fails unless none, so that a grpc-js whose
   * files moved is looked at. The probes' programs need not load grpc-js.
   */
  notRewritten(): string[];
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Bundles each file the tables name rewritten; any other file as it is. Two tables may not name one file. */
export function grpcSourcePlugin(name: string, ...tables: GrpcRewrites[]): GrpcSourcePlugin {
  const rewrites: GrpcRewrites = {};
  for (const table of tables) {
    for (const [file, rewrite] of Object.entries(table)) {
      if (Object.hasOwn(rewrites, file)) throw new Error(`${name}: two rewrites of grpc-js's ${file}; make them one.`);
      rewrites[file] = rewrite;
    }
  }
  const files = new RegExp(`[\\\\/]@grpc[\\\\/]grpc-js[\\\\/]build[\\\\/]src[\\\\/](${Object.keys(rewrites).map(escapeRegExp).join("|")})$`);
  const rewritten = new Set<string>();
  return {
    name,
    setup(build) {
      build.onLoad({ filter: files }, (args) => {
        const file = files.exec(args.path)![1]!;
        const contents = rewrites[file]!(readFileSync(args.path, "utf8"));
        rewritten.add(file);
        return { contents, loader: "js" };
      });
    },
    notRewritten: () => Object.keys(rewrites).filter((file) => !rewritten.has(file)),
  };
}
