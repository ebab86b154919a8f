import { Buffer } from "node:buffer";
import { defineCommand } from "../../cli/command.ts";
import { StigmerError, usageError } from "../../cli/errors.ts";
import { out } from "../../cli/output.ts";
import { unavailableError } from "../../secrets/keyring.ts";
import { canPrompt, promptKey } from "../../secrets/prompt.ts";
import { checkKeyName, keyValueProblem } from "../../secrets/values.ts";
import { commandKeyring, NAME_ARG, setInEnvironment, usingKeyring } from "./keyring.ts";

/** More than any API key; stops `--stdin` from reading a file piped in by mistake. */
const MAX_KEY_BYTES = 16 * 1024;

export default defineCommand({
  meta: { name: "set", description: "Store a key in the system keyring: asked with hidden input, or one line from stdin" },
  args: {
    name: NAME_ARG,
    stdin: { type: "boolean", description: "Read the key from stdin (one line), for scripts" },
  },
  async run({ args }) {
    const name = checkKeyName(args.name);
    if (args.stdin && process.stdin.isTTY) {
      throw usageError("--stdin reads a pipe, and stdin is a terminal.", `Leave --stdin out to be asked with hidden input: stigmer secrets set ${name}`);
    }
    const keyring = commandKeyring(name);
    // Asked first, so nobody types a key for a keyring that cannot take it.
    const before = await keyring.read(name);
    if ("unavailable" in before) throw unavailableError(before.unavailable, name);
    const value = args.stdin ? await readKeyFromStdin(name) : await askForKey(name);
    await usingKeyring(name, () => keyring.store(name, value));
    out.success(`${"found" in before ? "Replaced" : "Stored"} ${name} in the system keyring.`);
    if (setInEnvironment(name)) out.warn(`${name} is also set in the environment, which takes precedence over the keyring.`);
  },
});

async function askForKey(name: string): Promise<string> {
  if (!canPrompt()) {
    throw new StigmerError(`There is no terminal to ask for ${name}.`, {
      fix: `Pipe it in instead: printf '%s\\n' "$${name}" | stigmer secrets set ${name} --stdin`,
    });
  }
  return promptKey(name);
}

async function readKeyFromStdin(name: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer);
    size += bytes.length;
    if (size > MAX_KEY_BYTES) throw refused(name, `stdin holds more than ${MAX_KEY_BYTES / 1024} KiB`);
    chunks.push(bytes);
  }
  const value = Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "").trim();
  const problem = keyValueProblem(value);
  if (problem !== undefined) throw refused(name, problem);
  return value;
}

function refused(name: string, problem: string): StigmerError {
  return new StigmerError(`Refused to store ${name}: ${problem}.`, { fix: "Give the key alone, on one line." });
}
