// The README's table of start options, rendered from their declaration (test/readme.test.ts checks it;
// `bun test/readme-table.ts` prints it to paste in).
import { configKey, OPTION_NAMES, START_OPTIONS, type OptionDeclaration } from "../src/lifecycle/start/start-options.ts";

/** One row per option: flag, environment variable, config key, default, meaning. */
export function optionsTable(): string {
  const rows = OPTION_NAMES.map((name) => {
    const declaration: OptionDeclaration = START_OPTIONS[name];
    const hint = declaration.valueHint ?? "";
    // A list of choices stays as it is typed; a placeholder is written in capitals.
    const value = hint.includes("|") ? hint : hint.toUpperCase();
    const flag = declaration.boolean ? `\`--${declaration.flag}\`, \`--no-${declaration.flag}\`` : `\`--${declaration.flag} ${value}\``;
    const env = declaration.env ? `\`${declaration.env}\`` : "";
    const fallback = declaration.defaultText ?? (declaration.default !== undefined ? `\`${declaration.default}\`` : "—");
    const cells = [flag, env, `\`${configKey(name)}\``, fallback, declaration.help];
    return `| ${cells.map((cell) => cell.replaceAll("|", "\\|")).join(" | ")} |`;
  });
  return ["| flag | environment | config key | default | meaning |", "|---|---|---|---|---|", ...rows].join("\n");
}

if (import.meta.main) console.log(optionsTable());
