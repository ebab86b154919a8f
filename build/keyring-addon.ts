// Each binary embeds exactly its own platform's @napi-rs/keyring addon.
//
// npm installs only this machine's platform package, and the package's index.js chooses the
// addon at run time by process.platform, so the bundler cannot know which one a cross-compiled
// binary needs. The build therefore fetches the other platforms' packages (the version the
// installed @napi-rs/keyring pins, checked against package-lock.json) and resolves
// `@napi-rs/keyring` to a small module that requires that platform's `.node` file by its path and
// exports its names: a static require of a `.node` file is what `bun build --compile` embeds. Whichever file
// is used, installed or fetched, the build checks it against build/digests.json (digests.ts).
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { BunPlugin } from "bun";
import { fetchLockedPackage, readJson, ROOT } from "./npm-package.ts";
import type { Target } from "./targets.ts";

/** Where fetched addons are kept; STIGMER_ADDON_CACHE_DIR points elsewhere (the tests tamper with a copy). */
function addonCache(): string {
  return path.resolve(process.env.STIGMER_ADDON_CACHE_DIR ?? path.join(ROOT, "node_modules", ".cache", "stigmer-keyring-addons"));
}

export function installedKeyringVersion(): string {
  return String(readJson(path.join(ROOT, "node_modules", "@napi-rs", "keyring", "package.json")).version);
}

/** The target's addon file: the installed package's, else one fetched once into the addon cache. */
export function keyringAddonPath(target: Target): string {
  const version = installedKeyringVersion();
  const installed = path.join(ROOT, "node_modules", target.keyringPackage);
  if (existsSync(path.join(installed, target.keyringAddon)) && readJson(path.join(installed, "package.json")).version === version) {
    return path.join(installed, target.keyringAddon);
  }
  const addon = cachedAddonPath(target);
  if (!existsSync(addon)) fetchLockedPackage(target.keyringPackage, version, cachedPackage(target));
  return addon;
}

/** Where the target's addon package is unpacked in `cache`: its files are under `package/`. */
function cachedPackage(target: Target, cache = addonCache()): string {
  return path.join(cache, `${target.keyringPackage.replace("/", "+")}@${installedKeyringVersion()}`);
}

export function cachedAddonPath(target: Target, cache = addonCache()): string {
  return path.join(cachedPackage(target, cache), "package", target.keyringAddon);
}

/** The names the package's own loader exports from its addon (`module.exports.X = nativeBinding.X`); throws if none. Pure. */
export function keyringExportNames(loaderSource: string): string[] {
  const names = [...loaderSource.matchAll(/^module\.exports\.(\w+) = nativeBinding\.\1$/gm)].map((match) => match[1]!);
  if (names.length === 0) throw new Error("@napi-rs/keyring's index.js no longer exports its addon's names as build/keyring-addon.ts expects: check the plugin against it.");
  return names;
}

/** The module bundled for @napi-rs/keyring: `addon` required, each of its names exported. */
export function keyringModuleSource(addon: string, names: readonly string[]): string {
  return [`const addon = require(${JSON.stringify(addon)});`, ...names.map((name) => `export const ${name} = addon.${name};`), ""].join("\n");
}

/** Makes `import("@napi-rs/keyring")` load `addon` and nothing else. */
export function keyringAddonPlugin(addon: string): BunPlugin {
  return {
    name: "stigmer-keyring-addon",
    setup(build) {
      // A virtual path not ending in `.node`: the bundler would treat that as the addon itself and leave it outside.
      build.onResolve({ filter: /^@napi-rs\/keyring$/ }, () => ({ path: "@napi-rs/keyring", namespace: "stigmer-keyring-addon" }));
      // As an ES module with the package's names exported one by one: a chunk that imports a CommonJS module whose
      // exports are only known at run time sees them under `default` alone.
      build.onLoad({ filter: /.*/, namespace: "stigmer-keyring-addon" }, () => {
        const loader = readFileSync(path.join(ROOT, "node_modules", "@napi-rs", "keyring", "index.js"), "utf8");
        return { contents: keyringModuleSource(addon, keyringExportNames(loader)), loader: "js" };
      });
    },
  };
}
