// How stigmer's code is bundled: by build.ts, and by the bench's programs compiled with "stigmer" settings.
import type { BunPlugin } from "bun";
import { BACKOFF_REWRITES } from "./grpc-backoff.ts";
import { LAZY_BUILTIN_REWRITES } from "./grpc-lazy-builtins.ts";
import { grpcWithoutProtoLoaderPlugin } from "./grpc-proto-loader.ts";
import { grpcSourcePlugin, type GrpcSourcePlugin } from "./grpc-source.ts";

export interface Bundling {
  /**
   * Minified bytecode without a source map, as ES modules split into chunks: a dynamic import loads only the code
   * it needs, and a chunk imports the node: modules its own code uses, instead of the bundle loading every one any
   * of its modules uses before it runs a line.
   */
  options: { minify: true; bytecode: true; sourcemap: "none"; format: "esm"; splitting: true };
  /** grpc-js as stigmer uses it: see build/grpc-backoff.ts, build/grpc-lazy-builtins.ts and build/grpc-proto-loader.ts. */
  plugins: BunPlugin[];
  /** The plugin in `plugins` that rewrites grpc-js's files: build.ts fails when one was not rewritten. */
  grpcSource: GrpcSourcePlugin;
}

export function stigmerBundling(): Bundling {
  const grpcSource = grpcSourcePlugin("stigmer-grpc-source", BACKOFF_REWRITES, LAZY_BUILTIN_REWRITES);
  return {
    options: { minify: true, bytecode: true, sourcemap: "none", format: "esm", splitting: true },
    plugins: [grpcSource, grpcWithoutProtoLoaderPlugin()],
    grpcSource,
  };
}
