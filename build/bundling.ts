// How stigmer's code is bundled: by build.ts, and by the bench's programs compiled with "stigmer" settings.
import type { BunPlugin } from "bun";
import { grpcBackoffPlugin, type GrpcBackoffPlugin } from "./grpc-backoff.ts";
import { grpcWithoutProtoLoaderPlugin } from "./grpc-proto-loader.ts";

export interface Bundling {
  /**
   * Minified bytecode without a source map, as ES modules split into chunks: a dynamic import loads only the code
   * it needs, and a chunk imports the node: modules its own code uses, instead of the bundle loading every one any
   * of its modules uses before it runs a line.
   */
  options: { minify: true; bytecode: true; sourcemap: "none"; format: "esm"; splitting: true };
  /** grpc-js as stigmer uses it: see build/grpc-backoff.ts and build/grpc-proto-loader.ts. */
  plugins: BunPlugin[];
  /** The plugin in `plugins` that tells whether it rewrote grpc-js's backoff timer: build.ts fails if not. */
  grpcBackoff: GrpcBackoffPlugin;
}

export function stigmerBundling(): Bundling {
  const grpcBackoff = grpcBackoffPlugin();
  return {
    options: { minify: true, bytecode: true, sourcemap: "none", format: "esm", splitting: true },
    plugins: [grpcBackoff, grpcWithoutProtoLoaderPlugin()],
    grpcBackoff,
  };
}
