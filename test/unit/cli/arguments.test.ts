import { describe, expect, test } from "bun:test";
import type { ArgsDef } from "citty";
import { parseArguments, unsupportedDeclaration } from "../../../src/cli/arguments.ts";
import { resolve, type AnyCommand } from "../../../src/cli/run.ts";
import { rootCommand } from "../../../src/commands/root.ts";
import { StigmerError } from "../../../src/cli/errors.ts";

const DEFS: ArgsDef = {
  detach: { type: "boolean", alias: "d" },
  json: { type: "boolean" },
  lines: { type: "string", alias: "n" },
  "log-max-size": { type: "string" },
  reloadKeys: { type: "boolean" },
  component: { type: "positional", required: false },
};

const parse = (args: string[], defs: ArgsDef = DEFS) => parseArguments(defs, args, "stigmer test");

function usageMistake(args: string[], defs: ArgsDef = DEFS): StigmerError {
  try {
    parse(args, defs);
  } catch (error) {
    expect(error).toBeInstanceOf(StigmerError);
    expect((error as StigmerError).fix).toBe("See: stigmer test --help");
    return error as StigmerError;
  }
  throw new Error(`${args.join(" ")} was accepted`);
}

describe("parseArguments", () => {
  test("nothing given: only the positional list, every value absent", () => {
    expect(parse([])).toEqual({ _: [] });
  });

  test("booleans: the flag, its alias, --no-, and =false", () => {
    expect(parse(["--detach", "--json"])).toMatchObject({ detach: true, json: true });
    expect(parse(["-d"]).detach).toBe(true);
    expect(parse(["--no-json"]).json).toBe(false);
    expect(parse(["--json=false"]).json).toBe(false);
    expect(parse(["--json=yes"]).json).toBe(true);
  });

  test("strings: =value or the next argument; the last of a repeated flag counts", () => {
    expect(parse(["--lines", "20"]).lines).toBe("20");
    expect(parse(["--lines=20"]).lines).toBe("20");
    expect(parse(["-n", "5"]).lines).toBe("5");
    expect(parse(["--lines", "1", "--lines", "2"]).lines).toBe("2");
    expect(parse(["--lines="]).lines).toBe("");
    expect(parse(["--log-max-size", "1GiB"])["log-max-size"]).toBe("1GiB");
  });

  test("a camelCase name is spelled in kebab-case too, and read by its declared name", () => {
    expect(parse(["--reload-keys"]).reloadKeys).toBe(true);
    expect(parse(["--reloadKeys"]).reloadKeys).toBe(true);
    expect(parse(["--no-reload-keys"]).reloadKeys).toBe(false);
  });

  test("positionals fill the declared ones in order; `--` ends the flags", () => {
    expect(parse(["agent-runner", "--json"])).toEqual({ _: ["agent-runner"], component: "agent-runner", json: true });
    expect(parse(["--", "--json", "x"])).toEqual({ _: ["--json", "x"], component: "--json" });
    expect(parse(["-"]).component).toBe("-");
  });

  test("mistakes are usage errors that point at the help", () => {
    expect(usageMistake(["--jsn"]).message).toBe('Unknown option --jsn for "stigmer test".');
    expect(usageMistake(["--no-lines"]).message).toBe('Unknown option --no-lines for "stigmer test".');
    expect(usageMistake(["a", "b"]).message).toBe('Unexpected argument "b" for "stigmer test".');
    expect(usageMistake(["--lines"]).message).toBe("--lines needs a value.");
    expect(usageMistake(["--lines", "--json"]).message).toBe("--lines needs a value.");
    expect(usageMistake(["--lines", "-5"]).message).toBe('--lines must not be negative, not "-5".');
    expect(usageMistake([], { name: { type: "positional", required: true } }).message).toBe("Missing required positional argument: NAME");
    expect(usageMistake([], { name: { type: "positional" } }).message).toBe("Missing required positional argument: NAME");
  });

  test("a string flag may take `-` as its value", () => {
    expect(parse(["--lines", "-"]).lines).toBe("-");
  });
});

describe("declarations", () => {
  test("what citty would read and this parser does not is refused, naming it", () => {
    expect(unsupportedDeclaration({ level: { type: "enum", options: ["a"] } } as ArgsDef)).toBe('level: type "enum"');
    expect(unsupportedDeclaration({ lines: { type: "string", default: "50" } })).toBe("lines: a default");
    expect(unsupportedDeclaration({ name: { type: "positional", default: "x" } })).toBe("name: a default");
    expect(unsupportedDeclaration({ key: { type: "string", required: true } })).toBe("key: required on a flag");
    expect(() => parse([], { lines: { type: "string", default: "50" } })).toThrow("cli/arguments.ts does not read lines: a default.");
  });

  test("no command declares anything the parser would ignore", async () => {
    const found: string[] = [];
    const visit = async (command: AnyCommand, path: string) => {
      const problem = unsupportedDeclaration(command.args ? await resolve(command.args) : {});
      if (problem) found.push(`${path}: ${problem}`);
      const subCommands = command.subCommands ? await resolve(command.subCommands) : {};
      for (const [name, loader] of Object.entries(subCommands)) await visit((await resolve(loader)) as AnyCommand, `${path} ${name}`);
    };
    await visit(rootCommand as AnyCommand, "stigmer");
    expect(found).toEqual([]);
  });
});
