import { defineCommand } from "citty";
import { out } from "../../cli/output.ts";
import { parseChoice } from "../../cli/values.ts";
import { currentLayout, restartComponent } from "../../lifecycle/control/client.ts";
import { COMPONENT_NAMES, RUNNER } from "../../lifecycle/start/stack.ts";

export default defineCommand({
  meta: { name: "restart", description: `Restart one component in place (default ${RUNNER}); keys stay in the supervisor's memory` },
  args: {
    component: { type: "positional", required: false, valueHint: COMPONENT_NAMES.join("|"), description: `Which component (default: ${RUNNER})` },
  },
  async run({ args }) {
    const name = parseChoice(args.component ?? RUNNER, "COMPONENT", COMPONENT_NAMES);
    const report = await restartComponent(currentLayout(), name);
    const member = report.components.find((entry) => entry.name === name);
    out.success(`${name} restarted (pid ${member?.pid ?? "?"}, ${member?.restarts ?? 0} restarts so far).`);
  },
});
