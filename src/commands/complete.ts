import { defineCommand } from "../cli/command.ts";
import type { Command, RootCommand } from "@bomb.sh/tab";
import { configKey, OPTION_NAMES, START_OPTIONS, type OptionDeclaration } from "../lifecycle/start/start-options.ts";
import { COMPONENT_NAMES } from "../lifecycle/start/stack.ts";
import { PROVIDERS, keyNamesFor } from "../secrets/providers.ts";
import { resolve, type AnyCommand } from "../cli/run.ts";
import { rootCommand } from "./root.ts";
import { SHELLS } from "./completion.ts";

/** The values a flag or an argument can take, by its name in the command tree; the rest complete nothing. */
function knownValues(): Map<string, readonly string[]> {
  const values = new Map<string, readonly string[]>();
  for (const name of OPTION_NAMES) {
    const declaration: OptionDeclaration = START_OPTIONS[name];
    if (declaration.choices) values.set(declaration.flag, declaration.choices);
  }
  values.set("ready-line", ["none"]);
  values.set("component", COMPONENT_NAMES);
  values.set("key", OPTION_NAMES.map(configKey));
  values.set("shell", SHELLS);
  values.set("name", [...new Set(PROVIDERS.flatMap(keyNamesFor))]);
  return values;
}

/** Mirrors the command tree (hidden commands left out) into tab's model, with the values above. */
async function addCommand(root: RootCommand, target: Command, command: AnyCommand, path: string, values: Map<string, readonly string[]>): Promise<void> {
  const complete = (name: string) => (add: (value: string, description: string) => void) => {
    for (const value of values.get(name) ?? []) add(value, "");
  };
  for (const [name, def] of Object.entries(command.args ? await resolve(command.args) : {})) {
    if (def.type === "positional") {
      target.argument(name, complete(name));
      continue;
    }
    const alias = "alias" in def && def.alias ? (Array.isArray(def.alias) ? def.alias[0] : def.alias) : undefined;
    const description = def.description ?? "";
    if (def.type === "boolean") {
      if (alias) target.option(name, description, alias);
      else target.option(name, description);
    } else if (alias) {
      target.option(name, description, complete(name), alias);
    } else {
      target.option(name, description, complete(name));
    }
  }
  const subCommands = command.subCommands ? await resolve(command.subCommands) : {};
  for (const [name, loader] of Object.entries(subCommands)) {
    const sub = (await resolve(loader)) as AnyCommand;
    const meta = (await resolve(sub.meta ?? {})) as { description?: string; hidden?: boolean };
    if (meta.hidden) continue;
    const subPath = path ? `${path} ${name}` : name;
    await addCommand(root, root.command(subPath, meta.description ?? ""), sub, subPath, values);
  }
}

export default defineCommand({
  meta: { name: "complete", description: "Answers the completion scripts (stigmer completion SHELL)", hidden: true },
  args: {
    words: { type: "positional", required: false, description: "The command line so far, after --" },
  },
  async run({ rawArgs }) {
    const { RootCommand } = await import("@bomb.sh/tab");
    const root = new RootCommand();
    await addCommand(root, root, rootCommand as AnyCommand, "", knownValues());
    const separator = rawArgs.indexOf("--");
    root.parse(separator < 0 ? rawArgs : rawArgs.slice(separator + 1));
  },
});
