import { defineCommand } from "../../cli/command.ts";
import { ExitCode, StigmerError } from "../../cli/errors.ts";
import { out } from "../../cli/output.ts";
import { keyringDisabled, unavailableError } from "../../secrets/keyring.ts";
import { checkKeyName } from "../../secrets/values.ts";
import { commandKeyring, NAME_ARG, setInEnvironment } from "./keyring.ts";

export default defineCommand({
  meta: { name: "get", description: "Tell whether a key is set and where (environment or keyring); the value only with --reveal" },
  args: {
    name: NAME_ARG,
    reveal: { type: "boolean", description: "Print the value on stdout" },
    json: { type: "boolean", description: 'Print JSON: {"name", "set", "source"}, and "value" only with --reveal' },
  },
  async run({ args }) {
    const name = checkKeyName(args.name);
    const report = args.json ? reportJson : reportText;
    // The order `local start` resolves keys in: a set variable wins over the keyring.
    if (setInEnvironment(name)) {
      report(name, "environment", process.env[name]!, args.reveal === true);
      return;
    }
    if (keyringDisabled()) {
      throw new StigmerError(`${name} is not set in the environment, and the keyring is switched off (STIGMER_NO_KEYRING=1).`, {
        fix: `export ${name}=…   or unset STIGMER_NO_KEYRING`,
      });
    }
    const answer = await commandKeyring(name).read(name);
    if ("unavailable" in answer) throw unavailableError(answer.unavailable, name);
    if ("missing" in answer) {
      if (args.json) {
        process.stdout.write(`${JSON.stringify({ name, set: false, source: null }, null, 2)}\n`);
        return ExitCode.error;
      }
      throw new StigmerError(`${name} is not set: neither in the environment nor in the system keyring.`, {
        fix: `stigmer secrets set ${name}   or   export ${name}=…`,
      });
    }
    report(name, "keyring", answer.found, args.reveal === true);
  },
});

type Source = "environment" | "keyring";

function reportJson(name: string, source: Source, value: string, reveal: boolean): void {
  process.stdout.write(`${JSON.stringify({ name, set: true, source, ...(reveal ? { value } : {}) }, null, 2)}\n`);
}

function reportText(name: string, where: Source, value: string, reveal: boolean): void {
  const line = `${name} is set, from ${where === "environment" ? "the environment" : "the system keyring"}`;
  if (!reveal) {
    process.stdout.write(`${line}\n`);
    return;
  }
  // The value alone on stdout, so `$(stigmer secrets get NAME --reveal)` is the key.
  out.info(line);
  process.stdout.write(`${value}\n`);
}
