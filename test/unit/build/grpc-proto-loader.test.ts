import { expect, test } from "bun:test";
import { grpcWithoutProtoLoaderPlugin, PROTO_LOADER_STAND_IN } from "../../../build/grpc-proto-loader.ts";
import { bundledCodeOf } from "../../helpers.ts";

const bundleOf = (specifier: string) => bundledCodeOf(specifier, { plugins: [grpcWithoutProtoLoaderPlugin()] });

test("grpc-js is bundled without @grpc/proto-loader and protobufjs; the stand-in is there instead", async () => {
  const code = await bundleOf("@grpc/grpc-js");
  expect(code).toContain("makeUnaryRequest");
  expect(code).toContain("left out of stigmer's build");
  expect(code).not.toContain("node_modules/protobufjs/");
  expect(code).not.toContain("node_modules/@grpc/proto-loader/");
});

test("an importer other than grpc-js gets the real @grpc/proto-loader", async () => {
  const code = await bundleOf("@grpc/proto-loader");
  expect(code).toContain("node_modules/protobufjs/");
  expect(code).not.toContain("left out of stigmer's build");
});

test("the stand-in's loadSync fails, saying why", () => {
  const module = { exports: {} as { loadSync?: () => unknown } };
  new Function("module", PROTO_LOADER_STAND_IN)(module);
  expect(() => module.exports.loadSync!()).toThrow("@grpc/proto-loader is left out of stigmer's build (build/grpc-proto-loader.ts)");
});
