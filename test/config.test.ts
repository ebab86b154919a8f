// $STIGMER_HOME/config.toml and `stigmer config`, with the compiled binary and a real file.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { cleanEnv, cleanupAll, FIXTURE_RUNNER, freePort, runCli, spawnDevDaemon, stigmerBin, stopSupervisorAtEnd, tempDir, type DaemonProcess } from "./helpers.ts";

afterEach(cleanupAll);

let daemon: DaemonProcess;
beforeAll(async () => {
  daemon = await spawnDevDaemon();
});
afterAll(() => daemon.stop());

function setup(file?: string, extra: Record<string, string> = {}) {
  const home = tempDir();
  stopSupervisorAtEnd(home);
  if (file !== undefined) writeFileSync(path.join(home, "config.toml"), file, { mode: 0o600 });
  const env = cleanEnv({ STIGMER_HOME: home, ANTHROPIC_API_KEY: "sk-ant-config-test-1234567890", ...extra });
  const cli = (...args: string[]) => runCli(args, env);
  const json = (...args: string[]) => JSON.parse(cli(...args).stdout);
  return { home, env, cli, json, file: path.join(home, "config.toml") };
}

describe("config.toml: start, doctor and status agree", () => {
  test("nothing but a config file: start -d, doctor and status read the same settings", async () => {
    const closed = `127.0.0.1:${await freePort()}`;
    const s = setup(
      [
        "# my local stack",
        `runner = "${FIXTURE_RUNNER}"`,
        `endpoint = "${daemon.endpoint}"`,
        'provider = "openai"',
        'model = "gpt-4.1"',
        'temporal = "off"',
        'restart_delay = "250ms"',
        "max_restarts = 4",
        "",
      ].join("\n"),
      { OPENAI_API_KEY: "sk-openai-config-test-123456", TEMPORAL_SERVICE_ADDRESS: daemon.endpoint },
    );
    const doctor = s.json("doctor", "--json");
    const check = (name: string) => doctor.checks.find((entry: { check: string }) => entry.check === name);
    expect(check("runner").detail).toBe(FIXTURE_RUNNER);
    expect(check("model").detail).toBe("gpt-4.1");
    expect(check("key").detail).toBe("OPENAI_API_KEY from environment");
    expect(check("daemon").detail).toBe(`${daemon.endpoint} serving`);
    expect(s.json("local", "status", "--json").daemon.endpoint).toBe(daemon.endpoint);

    const started = s.cli("local", "start", "-d");
    expect(started.code).toBe(0);
    expect(started.stderr).toContain("provider  openai, model gpt-4.1");
    expect(started.stderr).toContain(`temporal  ${daemon.endpoint} (--temporal off)`);
    const status = s.json("local", "status", "--json");
    expect(status.runner.command).toContain(FIXTURE_RUNNER);
    expect(status.daemon.endpoint).toBe(daemon.endpoint);
    expect(s.cli("local", "stop").code).toBe(0);

    // A flag beats the environment, which beats the file.
    const list = s.json("config", "list", "--json");
    const by = (key: string) => list.settings.find((setting: { key: string }) => setting.key === key);
    expect(list.file).toBe(s.file);
    expect(by("provider")).toMatchObject({ value: "openai", origin: "file" });
    expect(by("max_restarts")).toMatchObject({ value: "4", origin: "file" });
    expect(by("stop_timeout")).toMatchObject({ value: "10s", origin: "default" });
    const fromEnv = JSON.parse(runCli(["config", "list", "--json"], { ...s.env, STIGMER_LLM_PROVIDER: "ollama" }).stdout);
    expect(fromEnv.settings.find((setting: { key: string }) => setting.key === "provider")).toMatchObject({ value: "ollama", origin: "env" });
    const overridden = runCli(["doctor", "--json", "--endpoint", closed], s.env);
    expect(JSON.parse(overridden.stdout).checks.find((entry: { check: string }) => entry.check === "daemon").detail).toContain(closed);
  });

  test.each([
    ['runner = "/x"\nprovider = \n', "config.toml line 2: invalid value."],
    ['restart_dealy = "1s"\n', 'config.toml line 1: unknown key "restart_dealy".'],
    ['\nmin_uptime = "a while"\n', 'min_uptime in %FILE% line 2 takes a duration, not "a while".'],
    ['anthropic_api_key = "sk-ant-abcdefghijklmnopqrstu"\n', "anthropic_api_key in %FILE% line 1: API keys are never kept in the config file."],
  ])("a bad file %p: start, doctor and status refuse it with exit 2, naming file and line", (content, message) => {
    const s = setup(content);
    const expected = message.replace("%FILE%", s.file);
    for (const args of [["local", "start", "-d", "--runner", FIXTURE_RUNNER], ["doctor"], ["local", "status"]]) {
      const result = s.cli(...args);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(expected);
      expect(result.stderr).not.toContain("sk-ant-abcdefghijklmnopqrstu");
      expect(result.stderr).not.toContain("--restart");
    }
  });
});

describe("stigmer config", () => {
  test("set keeps comments and other keys, writes 0600 atomically; get, unset, path", () => {
    const s = setup('# written by hand\nprovider = "ollama" # local models\n\n# paths\nworkspace = "/tmp/ws"\n');
    const work = tempDir("stigmer-work-");
    mkdirSync(path.join(work, "runner"));
    const set = spawnSync(stigmerBin(), ["config", "set", "runner", "runner"], { cwd: work, env: s.env, encoding: "utf8" });
    expect(set.status).toBe(0);
    expect(s.cli("config", "set", "restart-delay", "2s").code).toBe(0);
    expect(s.cli("config", "set", "wait_daemon", "false").code).toBe(0);
    expect(readFileSync(s.file, "utf8")).toBe(
      `# written by hand\nprovider = "ollama" # local models\n\n# paths\nworkspace = "/tmp/ws"\nrunner = "${path.join(work, "runner")}"\nrestart_delay = "2s"\nwait_daemon = false\n`,
    );
    expect(statSync(s.file).mode & 0o777).toBe(0o600);
    expect(s.cli("config", "get", "runner").stdout).toBe(`${path.join(work, "runner")}\n`);
    expect(s.json("config", "get", "restart_delay", "--json")).toMatchObject({ key: "restart_delay", value: "2s", origin: "file" });
    // ollama's model is the runner's own: nothing to print.
    const model = s.cli("config", "get", "model");
    expect(model.code).toBe(1);
    expect(model.stderr).toContain("model is not set");
    expect(s.cli("config", "unset", "workspace").code).toBe(0);
    expect(readFileSync(s.file, "utf8")).not.toContain("workspace");
    expect(s.cli("config", "unset", "workspace").stderr).toContain("was not set");
    expect(s.cli("config", "path").stdout).toBe(`${s.file}\n`);
  });

  test("unknown keys, bad values and keys are exit 2 and change nothing", () => {
    const s = setup('provider = "anthropic"\n');
    for (const [args, message] of [
      [["config", "set", "nope", "1"], 'Unknown setting "nope"'],
      [["config", "set", "restart_delay", "soon"], 'restart_delay takes a duration, not "soon"'],
      [["config", "set", "model", "openai:gpt-4o"], "is a openai model, but the provider is anthropic"],
      [["config", "set", "OPENAI_API_KEY", "x"], "API keys are never kept in the config file"],
      [["config", "set", "server", "sk-ant-api03-abcdefghijklmnopqrstuv"], "looks like an API key"],
      [["config", "get", "nope"], 'Unknown setting "nope"'],
    ] as const) {
      const result = s.cli(...args);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(message);
    }
    expect(readFileSync(s.file, "utf8")).toBe('provider = "anthropic"\n');
  });
});

describe("completion", () => {
  function complete(line: string): string[] {
    const bin = tempDir("stigmer-bin-");
    // The script calls `stigmer` by name, as an installed binary is.
    writeFileSync(path.join(bin, "stigmer"), `#!/bin/sh\nexec '${stigmerBin()}' "$@"\n`, { mode: 0o755 });
    const words = line.split(" ");
    const script = [
      "source /usr/share/bash-completion/bash_completion",
      'eval "$(stigmer completion bash)"',
      "complete -p stigmer",
      `COMP_WORDS=(${words.map((word) => `'${word}'`).join(" ")}); COMP_CWORD=${words.length - 1}`,
      `COMP_LINE='${line}'; COMP_POINT=\${#COMP_LINE}`,
      "__stigmer_complete 2>/dev/null",
      'printf "%s\\n" "${COMPREPLY[@]}"',
    ].join("\n");
    const result = spawnSync("bash", ["-c", script], { env: { ...cleanEnv({ STIGMER_HOME: tempDir() }), PATH: `${bin}:${process.env.PATH}` }, encoding: "utf8" });
    expect(result.stdout).toStartWith("complete -F __stigmer_complete stigmer\n");
    return result.stdout.trim().split("\n").slice(1);
  }

  test("bash: commands, flags, their values, components and config keys", () => {
    expect(complete("stigmer lo")).toEqual(["local"]);
    expect(complete("stigmer local st")).toEqual(["start", "stop", "status"]);
    expect(complete("stigmer local start --ready")).toEqual(["--ready-line", "--ready-timeout"]);
    expect(complete("stigmer local start --provider ")).toEqual(["anthropic", "openai", "ollama"]);
    expect(complete("stigmer local start --restart o")).toEqual(["on-failure"]);
    expect(complete("stigmer local logs ")).toEqual(["temporal", "stigmer-server", "agent-runner"]);
    expect(complete("stigmer local restart agent")).toEqual(["agent-runner"]);
    expect(complete("stigmer config set restart")).toEqual(["restart", "restart_delay"]);
    expect(complete("stigmer completion ")).toEqual(["bash", "zsh", "fish", "powershell"]);
    expect(complete("stigmer ")).not.toContain("__supervise");
  });

  test("a --help among the words to complete is a word, not a request for complete's help", () => {
    const result = runCli(["complete", "--", "local", "start", "--help"], cleanEnv());
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain("USAGE");
  });

  test("every shell gets a script; another is exit 2", () => {
    for (const shell of ["bash", "zsh", "fish", "powershell"]) {
      const result = runCli(["completion", shell], cleanEnv());
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/stigmer complete '?--/);
    }
    const tcsh = runCli(["completion", "tcsh"], cleanEnv());
    expect(tcsh.code).toBe(2);
    expect(tcsh.stderr).toContain("SHELL must be one of bash, zsh, fish, powershell");
  });
});
