import { defineCommand } from "../../cli/command.ts";
import { out } from "../../cli/output.ts";
import { keyNamesFor, type Provider } from "../../secrets/providers.ts";
import { flagsOf, optionArgs } from "../_shared.ts";

export default defineCommand({
  meta: {
    name: "install-service",
    description:
      "Start the local stack at login: a per-user service (systemd user unit, LaunchAgent, logon task) that runs `stigmer local start` with the settings given here and those of config.toml; keys come from the keyring",
  },
  args: {
    now: { type: "boolean", description: "Also start it now (restart it when it runs with other settings)" },
    ...optionArgs(),
  },
  async run({ args }) {
    const { installService } = await import("../../platform/service/install.ts");
    const { shown } = await import("../../platform/service/run-command.ts");
    const { manager, description, options, changed, notes } = await installService({ flags: flagsOf(args), env: process.env, cwd: process.cwd(), now: Boolean(args.now) });
    out.success(`${changed ? "Installed" : "Already installed, unchanged:"} ${manager.title} (${manager.file}).`);
    out.info(`runs      ${shown(description.command[0]!, description.command.slice(1))}`);
    const errors = manager.logsErrors ? description.errorLog : "its console window";
    out.info(`errors    in ${errors} (why a start failed); the stack's own logs: stigmer local logs`);
    for (const note of notes) out.warn(note);
    out.info(args.now ? "Started; see it with: stigmer local status" : `It starts at your next login; now: ${manager.hints.start}   (or run this again with --now)`);
    await warnAboutKeys(options.provider);
  },
});

/** The service reads keys from the keyring only: one that is only in this shell's environment will not reach it. */
async function warnAboutKeys(provider: Provider): Promise<void> {
  const names = keyNamesFor(provider);
  if (names.length === 0) return;
  const { keyringSource } = await import("../../secrets/keyring.ts");
  const keyring = keyringSource();
  if (!keyring) {
    out.warn(`The keyring is switched off here (STIGMER_NO_KEYRING), so ${names.join(", ")} could not be checked; the service reads keys from the keyring only.`);
    return;
  }
  for (const name of names) {
    const answer = await keyring(name);
    if ("found" in answer) continue;
    const why = "missing" in answer ? "is not in the keyring" : `could not be looked up in the keyring (${answer.unavailable})`;
    out.warn(`${name} ${why}: the service reads keys from the keyring only, and will not start without it. Store it: stigmer secrets set ${name}`);
  }
}
