import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import path from "node:path";
import { keyringExportNames, keyringModuleSource } from "../../../build/keyring-addon.ts";
import { ROOT } from "../../helpers.ts";

test("the bundled @napi-rs/keyring exports every name the package's own loader exports", () => {
  const names = keyringExportNames(readFileSync(path.join(ROOT, "node_modules", "@napi-rs", "keyring", "index.js"), "utf8"));
  expect(names).toEqual(expect.arrayContaining(["AsyncEntry", "Entry", "findCredentials", "findCredentialsAsync"]));
  const source = keyringModuleSource("/addon.node", names);
  expect(source.startsWith('const addon = require("/addon.node");\n')).toBe(true);
  // Each line after the require exports one name of the addon under that name.
  for (const name of names) expect(source).toContain(`export const ${name} = addon.${name};`);
});

test("a loader that no longer lists its names fails the build instead of bundling a module without them", () => {
  expect(() => keyringExportNames("module.exports = require('./binding.node')")).toThrow("no longer exports its addon's names");
});
