import { defineCommand } from "../../cli/command.ts";
import { out } from "../../cli/output.ts";
import { checkKeyName } from "../../secrets/values.ts";
import { commandKeyring, NAME_ARG, setInEnvironment, usingKeyring } from "./keyring.ts";

export default defineCommand({
  meta: { name: "delete", description: "Remove a key from the system keyring" },
  args: { name: NAME_ARG },
  async run({ args }) {
    const name = checkKeyName(args.name);
    const keyring = commandKeyring(name);
    // Deleting what is not there is not an error: the wanted state is reached either way.
    if (await usingKeyring(name, () => keyring.remove(name))) out.success(`Deleted ${name} from the system keyring.`);
    else out.info(`${name} was not in the system keyring.`);
    if (setInEnvironment(name)) out.warn(`${name} is still set in the environment.`);
  },
});
