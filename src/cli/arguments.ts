// A command's arguments, checked and read in one pass over its declaration (citty's ArgsDef).
//
// citty accepts any flag silently, and a typo in a supervisor's flags must not pass unnoticed; so
// the command line is read here, strictly, and citty (its parser, its case conversions, node:util)
// is loaded only to render help. A flag is spelled as declared or in kebab-case, `--no-` before a
// boolean turns it off, a string takes `=value` or the next argument, the last of a repeated flag
// counts, and `--` ends the flags. Pure.
import type { ArgsDef } from "citty";
import { usageError } from "./errors.ts";

/** The values by declared name (absent when not given), and every positional argument in `_`. */
export type ParsedArguments = Record<string, string | boolean | string[] | undefined> & { _: string[] };

interface FlagSpec {
  name: string;
  type: "boolean" | "string";
  negated: boolean;
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

function splitFlag(arg: string): [string, string | undefined] {
  const equals = arg.indexOf("=");
  return equals < 0 ? [arg, undefined] : [arg.slice(0, equals), arg.slice(equals + 1)];
}

/**
 * What citty would also read and this parser does not: a declaration that uses one would show it in help and have
 * it ignored. No command needs them; this names the first one found, so a command that adds one fails its tests.
 */
export function unsupportedDeclaration(defs: ArgsDef): string | null {
  for (const [name, def] of Object.entries(defs)) {
    const fields = def as { type?: string; default?: unknown; required?: boolean };
    if (fields.type === "enum") return `${name}: type "enum"`;
    if (fields.default !== undefined) return `${name}: a default`;
    if (fields.type !== "positional" && fields.required) return `${name}: required on a flag`;
  }
  return null;
}

function flagSpecs(defs: ArgsDef): Map<string, FlagSpec> {
  const unsupported = unsupportedDeclaration(defs);
  if (unsupported) throw new Error(`cli/arguments.ts does not read ${unsupported}.`);
  const flags = new Map<string, FlagSpec>();
  for (const [name, def] of Object.entries(defs)) {
    if (def.type === "positional") continue;
    const type = def.type === "boolean" ? "boolean" : "string";
    for (const spelling of [name, kebab(name)]) {
      flags.set(`--${spelling}`, { name, type, negated: false });
      if (type === "boolean") flags.set(`--no-${spelling}`, { name, type, negated: true });
    }
    const alias = "alias" in def ? def.alias : undefined;
    for (const short of alias === undefined ? [] : Array.isArray(alias) ? alias : [alias]) {
      flags.set(short.length === 1 ? `-${short}` : `--${short}`, { name, type, negated: false });
    }
  }
  return flags;
}

/** Reads `args` as the command `name` declares them in `defs`; a mistake is a usage error with the way to its help. */
export function parseArguments(defs: ArgsDef, args: readonly string[], name: string): ParsedArguments {
  const flags = flagSpecs(defs);
  const positionals = Object.entries(defs).filter(([, def]) => def.type === "positional");
  const help = `See: ${name} --help`;
  const parsed: ParsedArguments = { _: [] };
  let counted = 0;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      parsed._.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      counted += 1;
      if (counted > positionals.length) throw usageError(`Unexpected argument "${arg}" for "${name}".`, help);
      parsed._.push(arg);
      continue;
    }
    const [flag, inline] = splitFlag(arg);
    const spec = flags.get(flag);
    if (!spec) throw usageError(`Unknown option ${flag} for "${name}".`, help);
    if (spec.type === "boolean") {
      parsed[spec.name] = !spec.negated && inline !== "false";
      continue;
    }
    if (inline !== undefined) {
      parsed[spec.name] = inline;
      continue;
    }
    const value = args[i + 1];
    // "-5s" after a flag is a negative value, not the next flag: no option takes one.
    if (value !== undefined && /^-\d/.test(value)) throw usageError(`${flag} must not be negative, not "${value}".`, help);
    if (value === undefined || (value.startsWith("-") && value !== "-")) throw usageError(`${flag} needs a value.`, help);
    parsed[spec.name] = value;
    i += 1;
  }
  positionals.forEach(([positional, def], index) => {
    const value = parsed._[index];
    if (value !== undefined) parsed[positional] = value;
    else if ((def as { required?: boolean }).required !== false) throw usageError(`Missing required positional argument: ${positional.toUpperCase()}`, help);
  });
  return parsed;
}
