import { describe, expect, test } from "bun:test";
import { StigmerError } from "../../../src/cli/errors.ts";
import { parseConfigText, withoutValue, withValue } from "../../../src/lifecycle/start/config-file.ts";
import { listSettings, setSetting } from "../../../src/lifecycle/start/settings.ts";

const FILE = "/home/u/.stigmer/config.toml";

function refusal(text: string): StigmerError {
  try {
    parseConfigText(text, FILE);
  } catch (error) {
    if (error instanceof StigmerError) return error;
    throw error;
  }
  throw new Error("accepted");
}

describe("config.toml", () => {
  test("values by option, with their lines; counts may be numbers, switches are booleans", () => {
    const parsed = parseConfigText('# mine\nrunner = "/src/runner"\n\nmax_restarts = 3\nwait_daemon = false\nready_line = "^up$"\n', FILE);
    expect(parsed.values).toEqual({
      runner: { text: "/src/runner", line: 2 },
      maxRestarts: { text: "3", line: 4 },
      waitDaemon: { text: "false", line: 5 },
      readyLine: { text: "^up$", line: 6 },
    });
  });

  test("every refusal names the file, the line and the fix, and exits 2", () => {
    const syntax = refusal('runner = "/x"\nprovider = \n');
    expect(syntax.message).toBe(`${FILE} line 2: invalid value.`);
    expect(syntax.exitCode).toBe(2);
    const unknown = refusal('restart_dealy = "2s"\n');
    expect(unknown.message).toBe(`${FILE} line 1: unknown key "restart_dealy".`);
    expect(unknown.fix).toContain("Did you mean restart_delay?");
    const duration = refusal('\n\nmin_uptime = "soon"\n');
    expect(duration.message).toBe(`min_uptime in ${FILE} line 3 takes a duration, not "soon".`);
    const wrongType = refusal("wait_daemon = \"no\"\n");
    expect(wrongType.message).toBe(`wait_daemon in ${FILE} line 1 takes true or false.`);
    const table = refusal("[runner]\npath = 1\n");
    expect(table.message).toContain("runner in");
    for (const secret of ['anthropic_api_key = "x"\n', 'model = "sk-ant-api03-abcdefghijklmnopqrstuvwx"\n']) {
      const error = refusal(secret);
      expect(error.message).toContain("API keys are never kept in the config file");
      expect(error.fix).toContain("stigmer secrets set");
      expect(error.message).not.toContain("sk-ant-api03");
    }
  });

  test("set replaces its own line or adds one after the last key; comments, blank lines and tables stay", () => {
    const text = '# my settings\nrunner = "/a"   # the checkout\n\n# keep me\nprovider = "openai"\n';
    expect(withValue(text, "runner", "/b")).toBe('# my settings\nrunner = "/b"\n\n# keep me\nprovider = "openai"\n');
    expect(withValue(text, "restartDelay", "2s")).toBe(`${text}restart_delay = "2s"\n`);
    expect(withValue("", "maxRestarts", "4")).toBe("max_restarts = 4\n");
    expect(withValue("[table]\nx = 1\n", "waitDaemon", "false")).toBe("wait_daemon = false\n[table]\nx = 1\n");
    expect(withoutValue(text, "runner")).toBe('# my settings\n\n# keep me\nprovider = "openai"\n');
    expect(withoutValue('runner = "/a"\n', "runner")).toBe("");
  });

  test("set checks the value with the flag's parser and the whole file with start's resolver; paths become absolute", () => {
    expect(setSetting("", FILE, "runner", "src/runner", "/home/u")).toBe('runner = "/home/u/src/runner"\n');
    expect(() => setSetting("", FILE, "restartDelay", "soon", "/")).toThrow('restart_delay takes a duration, not "soon"');
    expect(() => setSetting('max_restart_delay = "5s"\n', FILE, "restartDelay", "1m", "/")).toThrow("is shorter than");
    expect(() => setSetting('provider = "anthropic"\n', FILE, "model", "openai:gpt-4o", "/")).toThrow("is a openai model");
    expect(() => setSetting("", FILE, "model", "sk-proj-abcdefghijklmnopqrstuvwxyz", "/")).toThrow("looks like an API key");
  });

  test("list: every option, its value and where it came from; the model's default follows the provider", () => {
    const file = parseConfigText('provider = "openai"\nrestart_delay = "2s"\n', FILE);
    const settings = listSettings({ flags: {}, env: { STIGMER_BACKEND_ENDPOINT: "localhost:7234" }, file });
    const by = (key: string) => settings.find((setting) => setting.key === key)!;
    expect(by("provider")).toMatchObject({ value: "openai", origin: "file" });
    expect(by("model")).toMatchObject({ value: "gpt-4o", origin: "default" });
    expect(by("endpoint")).toMatchObject({ value: "localhost:7234", origin: "env", env: "STIGMER_BACKEND_ENDPOINT" });
    expect(by("restart_delay")).toMatchObject({ value: "2s", origin: "file" });
    expect(by("runner")).toMatchObject({ value: null, origin: null });
    expect(settings).toHaveLength(20);
  });
});
