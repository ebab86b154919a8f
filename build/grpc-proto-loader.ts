// grpc-js without @grpc/proto-loader.
//
// grpc-js requires @grpc/proto-loader (and with it protobufjs, long and their .proto descriptors)
// only inside two functions: the channelz admin service's definition and the ORCA load report
// service, both for servers and for the weighted round robin balancer. Stigmer serves neither and
// never selects that balancer (it turns service configs off), yet the bundler would put the
// packages into the chunk grpc-js is loaded from, where they make up a third of it (847 KB
// unminified with them, 547 KB without): loaded, and never run, by every process that makes a
// health call. This plugin bundles a module in its place whose one function fails with a
// message saying so, should a later grpc-js reach it.
import type { BunPlugin } from "bun";

const PROTO_LOADER = /^@grpc\/proto-loader$/;
const GRPC_JS_FILE = /[\\/]@grpc[\\/]grpc-js[\\/]/;
const NAMESPACE = "stigmer-no-proto-loader";

/** What is bundled for @grpc/proto-loader: its loadSync, failing. */
export const PROTO_LOADER_STAND_IN = `module.exports = {
  loadSync() {
    throw new Error("@grpc/proto-loader is left out of stigmer's build (build/grpc-proto-loader.ts): grpc-js asked for it to serve channelz or ORCA, which stigmer does not use.");
  },
};`;

/** Bundles PROTO_LOADER_STAND_IN where grpc-js requires @grpc/proto-loader; any other importer gets the real one. */
export function grpcWithoutProtoLoaderPlugin(): BunPlugin {
  return {
    name: "stigmer-grpc-without-proto-loader",
    setup(build) {
      build.onResolve({ filter: PROTO_LOADER }, (args) => (GRPC_JS_FILE.test(args.importer) ? { path: "proto-loader", namespace: NAMESPACE } : undefined));
      build.onLoad({ filter: /.*/, namespace: NAMESPACE }, () => ({ contents: PROTO_LOADER_STAND_IN, loader: "js" }));
    },
  };
}
