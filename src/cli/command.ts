import type { ArgsDef, CommandDef } from "citty";

/**
 * A command as citty describes it (meta, args, subCommands, run). citty's own defineCommand does nothing more than
 * this; taking it from citty would load citty with every command, where run.ts needs it only to render help.
 */
export function defineCommand<T extends ArgsDef = ArgsDef>(def: CommandDef<T>): CommandDef<T> {
  return def;
}
