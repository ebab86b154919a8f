import { defineCommand } from "../../cli/command.ts";
import { out } from "../../cli/output.ts";
import { commandKeyring, usingKeyring } from "./keyring.ts";

export default defineCommand({
  meta: { name: "list", description: "List the names of the keys stigmer stored in the system keyring (never the values)" },
  args: {
    json: { type: "boolean", description: 'Print JSON: {"names": [...]}' },
  },
  async run({ args }) {
    const keyring = commandKeyring();
    const names = await usingKeyring(undefined, () => keyring.names());
    if (args.json) {
      process.stdout.write(`${JSON.stringify({ names }, null, 2)}\n`);
      return;
    }
    if (names.length === 0) out.info("No keys stored in the system keyring.");
    for (const name of names) process.stdout.write(`${name}\n`);
  },
});
