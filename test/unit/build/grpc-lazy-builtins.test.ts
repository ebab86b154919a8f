import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { stigmerBundling } from "../../../build/bundling.ts";
import { LAZY_REQUIRES, lazyModuleExpression, withLazyRequires } from "../../../build/grpc-lazy-builtins.ts";
import { grpcSourcePlugin } from "../../../build/grpc-source.ts";
import { bundledCodeOf, ROOT } from "../../helpers.ts";

/** A module's name as grpc-js's requires give it, minified or not (`require("zlib")`, `D("zlib")`), but not to getBuiltinModule. */
const requiredName = (module: string) => new RegExp(`(?<!getBuiltinModule)\\(["'](node:)?${module}["']\\)`);
const grpcSource = (file: string) => readFileSync(path.join(ROOT, "node_modules", "@grpc", "grpc-js", "build", "src", file), "utf8");

test("the installed grpc-js requires each module made lazy once, in the files expected, and no longer once rewritten", () => {
  for (const [file, modules] of Object.entries(LAZY_REQUIRES)) {
    const rewritten = withLazyRequires(grpcSource(file), file, modules);
    for (const module of modules) {
      expect(grpcSource(file)).toMatch(requiredName(module));
      expect(rewritten).not.toMatch(requiredName(module));
      expect(rewritten).toContain(lazyModuleExpression(module));
    }
  }
});

test("a lazy module is loaded at its first property read, not before, and gives the module's own functions and classes", () => {
  const loaded: string[] = [];
  const lazy = (module: string) =>
    new Function("process", `return ${lazyModuleExpression(module)};`)({
      getBuiltinModule: (name: string) => (loaded.push(name), process.getBuiltinModule(name)),
    });
  const lazyZlib = lazy("zlib");
  const lazyUrl = lazy("url");
  expect(loaded).toEqual([]);
  expect(lazyZlib.gunzipSync(zlib.gzipSync("a compressed answer")).toString()).toBe("a compressed answer");
  expect(lazyZlib.createGunzip).toBe(zlib.createGunzip);
  expect(new lazyUrl.URL("http://proxy.example:3128").port).toBe("3128");
  expect(loaded).toEqual(["node:zlib", "node:zlib", "node:url"]);
});

test("a grpc-js whose file changed fails the build and says where to look", () => {
  expect(() => withLazyRequires('const zlib = require("node:zlib");\n', "compression-filter.js", ["zlib"])).toThrow(
    '@grpc/grpc-js\'s compression-filter.js changed: 0 lines `const … = require("zlib");` found where 1 was expected. Check build/grpc-lazy-builtins.ts against it.',
  );
  expect(() => withLazyRequires('const a = require("zlib");\nconst b = require("zlib");\n', "compression-filter.js", ["zlib"])).toThrow("2 lines");
});

/** grpc-js bundled with build.ts's options (minified ES module chunks; bytecode needs a compile). */
const bundleGrpc = (plugins: Bun.BunPlugin[]) => bundledCodeOf("@grpc/grpc-js", { ...stigmerBundling().options, bytecode: false, plugins });

test("grpc-js bundled with stigmer's settings requires neither node:http, node:url nor node:zlib, and every file to rewrite was", async () => {
  const bundling = stigmerBundling();
  const code = await bundleGrpc(bundling.plugins);
  expect(bundling.grpcSource.notRewritten()).toEqual([]);
  expect(code).toContain("makeUnaryRequest");
  for (const module of ["http", "url", "zlib"]) {
    expect(code).not.toMatch(requiredName(module));
    expect(code).toContain(`getBuiltinModule("node:${module}")`);
  }
  // Without the plugin the same bundle does require them: the checks above are not vacuous.
  const plain = await bundleGrpc([]);
  for (const module of ["http", "url", "zlib"]) expect(plain).toMatch(requiredName(module));
});

test("a file to rewrite that the build never bundled is reported, for build.ts to fail on", async () => {
  const plugin = grpcSourcePlugin("test", { "backoff-timeout.js": (source) => source, "no-such-file.js": (source) => source });
  await bundleGrpc([plugin]);
  expect(plugin.notRewritten()).toEqual(["no-such-file.js"]);
});

test("two tables that rewrite one file are refused: one rewrite would silently replace the other", () => {
  const same = (source: string) => source;
  expect(() => grpcSourcePlugin("test", { "backoff-timeout.js": same }, { "backoff-timeout.js": same })).toThrow(
    "test: two rewrites of grpc-js's backoff-timeout.js; make them one.",
  );
});
