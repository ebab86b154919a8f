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

const GRPC_SOURCE_FILE = /[\\/]@grpc[\\/]grpc-js[\\/]build[\\/]src[\\/]([^\\/]+\.js)$/;

/** Bundles each file of `rewrites` rewritten; any other file as it is. */
export function grpcSourcePlugin(name: string, rewrites: GrpcRewrites): GrpcSourcePlugin {
  const rewritten = new Set<string>();
  return {
    name,
    setup(build) {
      build.onLoad({ filter: GRPC_SOURCE_FILE }, (args) => {
        const file = GRPC_SOURCE_FILE.exec(args.path)![1]!;
        const rewrite = Object.hasOwn(rewrites, file) ? rewrites[file] : undefined;
        if (!rewrite) return undefined;
        const contents = rewrite(readFileSync(args.path, "utf8"));
        rewritten.add(file);
        return { contents, loader: "js" };
      });
    },
    notRewritten: () => Object.keys(rewrites).filter((file) => !rewritten.has(file)),
  };
}

