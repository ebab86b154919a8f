import { defineCommand } from "../../cli/command.ts";
import { counted, out } from "../../cli/output.ts";
import { parseChoice } from "../../cli/values.ts";
import { ExitCode, StigmerError } from "../../cli/errors.ts";
import { currentLayout, querySupervisor, restartComponent } from "../../lifecycle/control/client.ts";
import type { HomeLayout } from "../../lifecycle/control/state-dir.ts";
import { SOURCE_LABEL, type ResolvedKey } from "../../secrets/chain.ts";
import { offerToSaveEnteredKeys, userKeySources } from "../_shared.ts";
import { COMPONENT_NAMES, RUNNER } from "../../lifecycle/start/stack.ts";

export default defineCommand({
  meta: { name: "restart", description: `Restart one component in place (default ${RUNNER}); keys stay in the supervisor's memory unless --reload-keys` },
  args: {
    component: { type: "positional", required: false, valueHint: COMPONENT_NAMES.join("|"), description: `Which component (default: ${RUNNER})` },
    "reload-keys": { type: "boolean", description: "Resolve the keys again (environment, keyring, prompt) and hand them to the supervisor: a key rotated with stigmer secrets set reaches the runner" },
  },
  async run({ args }) {
    const name = parseChoice(args.component ?? RUNNER, "COMPONENT", COMPONENT_NAMES);
    const layout = currentLayout();
    const keys = args["reload-keys"] ? await resolveKeysAgain(layout) : undefined;
    const report = await restartComponent(layout, name, keys);
    if (keys) for (const key of report.keys) out.info(`key       ${key.name} ${SOURCE_LABEL[key.source]}`);
    const member = report.components.find((entry) => entry.name === name);
    out.success(`${name} restarted (pid ${member?.pid ?? "?"}, ${counted(member?.restarts ?? 0, "restart")} so far).`);
  },
});

/** The keys the running stack holds, by name, resolved again here as `start` resolves them. */
async function resolveKeysAgain(layout: HomeLayout): Promise<ResolvedKey[]> {
  const query = await querySupervisor(layout);
  if (query.kind !== "running") {
    throw new StigmerError("No supervisor answers to hand the keys to.", { fix: "Start one with: stigmer local start --detach", exitCode: ExitCode.notRunning });
  }
  const { resolveKeys } = await import("../../secrets/chain.ts");
  const { keyring, keySources } = await userKeySources();
  const keys = await resolveKeys(query.report.keys.map((key) => key.name), keySources);
  await offerToSaveEnteredKeys(keys, keyring);
  return keys;
}
