import { expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { grpcWithoutProtoLoaderPlugin, PROTO_LOADER_STAND_IN } from "../../build/grpc-proto-loader.ts";
import { ROOT } from "../helpers.ts";

/** The bundled code of an entry that imports `specifier`, with the plugin; the entry sits in the project, so its packages resolve. */
async function bundleOf(specifier: string): Promise<string> {
  const cache = path.join(ROOT, "node_modules", ".cache");
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(path.join(cache, "stigmer-proto-loader-"));
  try {
    const entry = path.join(dir, "entry.ts");
    writeFileSync(entry, `import * as module from ${JSON.stringify(specifier)};\nconsole.log(Object.keys(module).length);\n`);
    const result = await Bun.build({ entrypoints: [entry], target: "bun", plugins: [grpcWithoutProtoLoaderPlugin()], throw: false });
    expect(result.logs.map(String)).toEqual([]);
    return (await Promise.all(result.outputs.map((output) => output.text()))).join("\n");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

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
