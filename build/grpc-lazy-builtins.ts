// grpc-js's built-in modules for proxies and compression, loaded when first used.
//
// grpc-js requires node:http and node:url for HTTP CONNECT proxies, and node:zlib for compressed
// messages, at the top of the files that use them, and the bundler makes each an import its chunk
// runs first. So every process that made a health call loaded all three before its first call:
// ~5 ms of a `local start` before its runner may spawn (bench/RESULTS.md, session 15). Stigmer
// turns proxies off (src/daemon/health.ts) and asks for no compression; a server may still
// compress its answers, and zlib then loads at the first one. Each such require becomes an object
// that loads the module at its first property read. grpc-js only reads functions and classes from
// them, and none of those reads its `this` (the object, when grpc-js calls one as a method). The
// build fails if a file no longer holds the require expected.
import type { GrpcRewrites } from "./grpc-source.ts";

/** grpc-js 1.14: the files, and the built-in modules each requires only for proxies or compression. */
export const LAZY_REQUIRES: Record<string, readonly string[]> = {
  "http_proxy.js": ["http", "url"],
  "compression-filter.js": ["zlib"],
  "server-interceptors.js": ["zlib"],
};

/** `const NAME = require("MODULE");` at the start of a line, NAME grpc-js's own. */
function requireLine(module: string): RegExp {
  return new RegExp(`^const ([\\w$]+) = require\\("${module}"\\);$`, "gm");
}

/** An object standing for `module`: the module itself is loaded at its first property read. */
export function lazyModuleExpression(module: string): string {
  return `new Proxy({}, { get: (_target, key) => process.getBuiltinModule("node:${module}")[key] })`;
}

/** `source` (the file `file`) with its require of each of `modules` made lazy; throws unless each is required by exactly one line `const X = require("M");`. Pure. */
export function withLazyRequires(source: string, file: string, modules: readonly string[]): string {
  let rewritten = source;
  for (const module of modules) {
    const found = [...rewritten.matchAll(requireLine(module))];
    if (found.length !== 1) {
      throw new Error(
        `@grpc/grpc-js's ${file} changed: ${found.length} lines \`const … = require("${module}");\` found where 1 was expected. Check build/grpc-lazy-builtins.ts against it.`,
      );
    }
    const [line, name] = found[0]!;
    rewritten = rewritten.replace(line, `const ${name} = ${lazyModuleExpression(module)};`);
  }
  return rewritten;
}

/** What build/grpc-source.ts rewrites for these files. */
export const LAZY_BUILTIN_REWRITES: GrpcRewrites = Object.fromEntries(
  Object.entries(LAZY_REQUIRES).map(([file, modules]) => [file, (source: string) => withLazyRequires(source, file, modules)]),
);
