// The README's table of start options is the declaration's: this test fails when they drift.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import path from "node:path";
import { ROOT } from "./helpers.ts";
import { optionsTable } from "./readme-table.ts";

describe("README", () => {
  test("its table of start options is the declaration", () => {
    const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
    const table = optionsTable();
    if (!readme.includes(table)) throw new Error(`README.md's options table differs from START_OPTIONS; it should read:\n\n${table}\n`);
    expect(readme).toContain(table);
  });
});
