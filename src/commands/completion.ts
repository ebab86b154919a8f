import { defineCommand } from "../cli/command.ts";
import { parseChoice } from "../cli/values.ts";

export const SHELLS = ["bash", "zsh", "fish", "powershell"] as const;

export default defineCommand({
  meta: {
    name: "completion",
    description: "Print a shell completion script (bash: eval \"$(stigmer completion bash)\" in ~/.bashrc; see the README for zsh, fish, PowerShell)",
  },
  args: {
    shell: { type: "positional", required: true, valueHint: SHELLS.join("|"), description: "The shell to complete in" },
  },
  async run({ args }) {
    const shell = parseChoice(args.shell, "SHELL", SHELLS);
    // The script asks `stigmer complete -- WORDS…` at each Tab, so completions follow the installed binary.
    const { script } = await import("@bomb.sh/tab");
    script(shell, "stigmer", "stigmer");
  },
});
