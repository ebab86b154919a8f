// The login service's pure parts: its description, each format's escaping, and what status,
// doctor and start make of the service manager's answers. test/service.test.ts runs them for real.
import { describe, expect, test } from "bun:test";
import { StigmerError } from "../../../src/cli/errors.ts";
import { homeLayout } from "../../../src/lifecycle/control/state-dir.ts";
import { resolveStartOptions, type StartFlags } from "../../../src/lifecycle/start/start-options.ts";
import { bakedFlags, describeService, type ServiceDescription } from "../../../src/platform/service/description.ts";
import { launchdState } from "../../../src/platform/service/launchd.ts";
import { detachRefusal, lastFailureIn, serviceCheck, serviceRow, type ServiceReport } from "../../../src/platform/service/report.ts";
import { environmentAssignment, execProgram, execWord, parseShow, pathValue, renderSystemdUnit, unitState } from "../../../src/platform/service/systemd.ts";
import { parseRegQuery, renderTaskXml, taskState, taskXmlBytes, variablesTheTaskLacks, windowsArgument } from "../../../src/platform/service/task-scheduler.ts";
import { xmlText } from "../../../src/platform/service/xml.ts";

const RUNNER = "/srv/agent-runner";

function baked(flags: StartFlags, env: Record<string, string> = {}, fileValues: Record<string, string> = {}): string[] {
  const values = Object.fromEntries(Object.entries(fileValues).map(([name, text], index) => [name, { text, line: index + 1 }]));
  return bakedFlags({ flags, env, file: { path: "/h/config.toml", values } }, "/work/dir");
}

describe("bakedFlags: what the service gets as flags", () => {
  test("the command line's and the environment's settings, each as --flag=value; config.toml's and defaults are left to start", () => {
    expect(baked({ provider: "openai" }, { STIGMER_BACKEND_ENDPOINT: "localhost:7234", STIGMER_LLM_MODEL: "gpt-4.1" }, { restartDelay: "2s" })).toEqual([
      "--endpoint=localhost:7234",
      "--provider=openai",
      "--model=gpt-4.1",
    ]);
  });

  test("a flag wins over the environment, as in start", () => {
    expect(baked({ endpoint: "localhost:1" }, { STIGMER_BACKEND_ENDPOINT: "localhost:2" })).toEqual(["--endpoint=localhost:1"]);
  });

  test("paths are made absolute from where install-service ran; --temporal only when it is a path", () => {
    expect(baked({ runner: "runner", workspace: "../ws" })).toEqual(["--runner=/work/dir/runner", "--workspace=/work/ws"]);
    expect(baked({ temporal: "./bin/temporal" })).toEqual(["--temporal=/work/dir/bin/temporal"]);
    expect(baked({ temporal: "temporal-1.2" })).toEqual(["--temporal=temporal-1.2"]);
    expect(baked({}, { STIGMER_TEMPORAL: "off" })).toEqual(["--temporal=off"]);
  });

  test("booleans as --flag / --no-flag; a value starting with - stays one value", () => {
    expect(baked({ waitDaemon: false, readyLine: "-> ready" })).toEqual(["--no-wait-daemon", "--ready-line=-> ready"]);
    expect(baked({ waitDaemon: true })).toEqual(["--wait-daemon"]);
  });

  test("a value that looks like a key is refused: the unit never holds one", () => {
    const error = (() => {
      try {
        baked({ model: "sk-ant-api03-abcdefghijklmnopqrstuvwxyz" });
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(StigmerError);
    expect((error as StigmerError).message).toContain("--model looks like an API key");
    expect((error as StigmerError).exitCode).toBe(2);
  });
});

describe("describeService", () => {
  const layout = homeLayout("/home/me/.stigmer");
  const env = {
    PATH: "/opt/homebrew/bin:/usr/bin",
    TEMPORAL_SERVICE_ADDRESS: "127.0.0.1:7233",
    ANTHROPIC_API_KEY: "sk-ant-api03-abcdefghijklmnopqrstuvwxyz",
    STIGMER_LLM_API_KEY: "sk-ant-api03-abcdefghijklmnopqrstuvwxyz",
    STIGMER_AGENT_RUNNER: RUNNER,
    OTHER: "not carried",
  };
  const describe_ = (flags: StartFlags = {}) =>
    describeService({
      self: { command: "/usr/local/bin/stigmer", args: [] },
      options: { flags, env, file: null },
      resolved: resolveStartOptions(flags, env, null),
      cwd: "/work",
      layout,
      env,
    });

  test("runs `stigmer local start` with the settings as flags, in STIGMER_HOME, stderr to logs/service.log", () => {
    const description = describe_({ stopTimeout: "4s" });
    expect(description.command).toEqual(["/usr/local/bin/stigmer", "local", "start", "--runner=/srv/agent-runner", "--stop-timeout=4s"]);
    expect(description.workingDirectory).toBe("/home/me/.stigmer");
    expect(description.errorLog).toBe("/home/me/.stigmer/logs/service.log");
  });

  test("its environment: STIGMER_HOME, PATH and the stack's variables; never a key", () => {
    const description = describe_();
    expect(description.environment).toEqual({ STIGMER_HOME: "/home/me/.stigmer", PATH: "/opt/homebrew/bin:/usr/bin", TEMPORAL_SERVICE_ADDRESS: "127.0.0.1:7233" });
    expect(JSON.stringify(description)).not.toContain("sk-ant");
  });

  test("it may take every component's --stop-timeout, one after the other, and a margin, to stop", () => {
    expect(describe_({ stopTimeout: "4s" }).stopTimeoutMs).toBe(3 * 4000 + 5000);
    expect(describe_().stopTimeoutMs).toBe(3 * 10_000 + 5000);
  });
});

/** A description with every kind of character a path or value may hold. */
const AWKWARD = "/home/Zoë O'Brien/my \"stigmer\" 100% $HOME";
const awkward: ServiceDescription = {
  summary: "Stigmer local mode",
  command: ["/opt/stig mer/bin/stigmer", "local", "start", `--runner=${AWKWARD}/runner`, "--ready-line=ready\\. now", "--model=", ";", "a\nb\tc"],
  environment: { STIGMER_HOME: `${AWKWARD}/.stigmer`, PATH: "/usr/bin:/bin" },
  workingDirectory: `${AWKWARD}/.stigmer`,
  errorLog: `${AWKWARD}/.stigmer/logs/service.log`,
  stopTimeoutMs: 35_000,
  restartDelayMs: 10_000,
};

describe("systemd unit: ExecStart quoting, specifiers and variables", () => {
  test("plain words stay bare; % and $ are doubled everywhere", () => {
    expect(execWord("/usr/local/bin/stigmer")).toBe("/usr/local/bin/stigmer");
    expect(execWord("--runner=/srv/ünïcødé/runner")).toBe("--runner=/srv/ünïcødé/runner");
    expect(execWord("100%")).toBe("100%%");
    expect(execWord("$HOME")).toBe("$$HOME");
  });

  test("whitespace, quotes, backslashes, a lone ; and control characters are quoted, with C escapes", () => {
    expect(execWord("my dir")).toBe('"my dir"');
    expect(execWord('say "hi"')).toBe('"say \\"hi\\""');
    expect(execWord("it's")).toBe('"it\'s"');
    expect(execWord("a\\b")).toBe('"a\\\\b"');
    expect(execWord(";")).toBe('";"');
    expect(execWord("")).toBe('""');
    expect(execWord("a\nb\tc\u0001")).toBe('"a\\nb\\tc\\x01"');
    expect(execWord("50% of $x y")).toBe('"50%% of $$x y"');
  });

  test("the program is a path to systemd: specifiers doubled, $ left alone, quotes and backslashes refused", () => {
    expect(execProgram("/usr/local/bin/stigmer")).toBe("/usr/local/bin/stigmer");
    expect(execProgram("/opt/Zoë 100% $x/stigmer")).toBe('"/opt/Zoë 100%% $x/stigmer"');
    expect(() => execProgram("/home/o'brien/bin/stigmer")).toThrow(/systemd does not run a program whose path holds quotes/);
    expect(() => execProgram("/opt/a\\b/stigmer")).toThrow(StigmerError);
  });

  test("Environment= is quoted whole; $ keeps its meaning of nothing there", () => {
    expect(environmentAssignment("STIGMER_HOME", '/h/a "b" 5% $x')).toBe('"STIGMER_HOME=/h/a \\"b\\" 5%% $x"');
  });

  test("path settings take the path as it is, specifiers doubled; what they cannot hold is refused", () => {
    expect(pathValue("WorkingDirectory", "/h/a b/100%")).toBe("/h/a b/100%%");
    expect(() => pathValue("WorkingDirectory", "/h/a\nb")).toThrow(StigmerError);
    expect(() => pathValue("WorkingDirectory", "/h/trailing ")).toThrow(StigmerError);
  });

  test("the unit, line by line", () => {
    const lines = renderSystemdUnit(awkward).split("\n");
    const home = "/home/Zoë O'Brien/my \"stigmer\" 100%% $HOME";
    expect(lines).toContain("Type=exec");
    expect(lines).toContain(
      `ExecStart="/opt/stig mer/bin/stigmer" local start "--runner=/home/Zoë O'Brien/my \\"stigmer\\" 100%% $$HOME/runner" "--ready-line=ready\\\\. now" --model= ";" "a\\nb\\tc"`,
    );
    expect(lines).toContain(`WorkingDirectory=${home}/.stigmer`);
    expect(lines).toContain(`Environment="STIGMER_HOME=/home/Zoë O'Brien/my \\"stigmer\\" 100%% $HOME/.stigmer"`);
    expect(lines).toContain(`StandardError=append:${home}/.stigmer/logs/service.log`);
    for (const line of ["StandardInput=null", "StandardOutput=null", "Restart=on-failure", "RestartSec=10s", "KillMode=mixed", "TimeoutStopSec=35s", "WantedBy=default.target"]) {
      expect(lines).toContain(line);
    }
  });
});

describe("systemd: what `systemctl --user show` says", () => {
  const show = (text: string) => unitState(parseShow(text));
  test("running, with its main pid", () => {
    expect(show("ActiveState=active\nSubState=running\nMainPID=4242\nResult=success\nExecMainStatus=0\n")).toEqual({ state: "running", pid: 4242, detail: null });
  });
  test("failed and waiting to be started again", () => {
    expect(show("ActiveState=activating\nSubState=auto-restart\nMainPID=0\nResult=exit-code\nExecMainStatus=1\n")).toEqual({
      state: "restarting",
      pid: null,
      detail: "exit-code, exit status 1",
    });
  });
  test("stopped", () => {
    expect(show("ActiveState=inactive\nSubState=dead\nMainPID=0\nResult=success\nExecMainStatus=0\n")).toEqual({ state: "stopped", pid: null, detail: null });
  });
});

describe("launchd: what `launchctl print` says", () => {
  test("running, failed (KeepAlive starts it again), never run", () => {
    expect(launchdState("gui/501/dev.stigmer.local = {\n\tstate = running\n\tpid = 812\n\tlast exit code = 0\n}")).toEqual({ state: "running", pid: 812, detail: null });
    expect(launchdState("\tstate = not running\n\tlast exit code = 1\n")).toEqual({ state: "restarting", pid: null, detail: "last exit code 1" });
    expect(launchdState("\tstate = not running\n\tlast exit code = (never exited)\n")).toEqual({ state: "stopped", pid: null, detail: null });
  });
});

describe("logon task: command line and environment", () => {
  test("arguments as the C runtime splits them again (checked against Python's list2cmdline in test/service.test.ts)", () => {
    expect(windowsArgument("local")).toBe("local");
    expect(windowsArgument("C:\\Program Files\\r")).toBe('"C:\\Program Files\\r"');
    expect(windowsArgument('say "hi"')).toBe('"say \\"hi\\""');
    expect(windowsArgument("C:\\dir with space\\")).toBe('"C:\\dir with space\\\\"');
    expect(windowsArgument("a\\\\\"b")).toBe('a\\\\\\\\\\"b');
    expect(windowsArgument("")).toBe('""');
  });

  test("%NAME% is refused: Task Scheduler would replace it", () => {
    expect(() => renderTaskXml({ ...awkward, command: ["C:\\s\\stigmer.exe", "--runner=%USERPROFILE%\\r"], workingDirectory: "C:\\h" }, { userId: "PC\\me" })).toThrow(
      /Task Scheduler would replace by an environment variable/,
    );
  });

  test("UTF-16 little-endian with a byte order mark, as schtasks wants it", () => {
    const bytes = taskXmlBytes("<a/>");
    expect([...bytes.slice(0, 4)]).toEqual([0xff, 0xfe, 0x3c, 0x00]);
  });

  test("`reg query` values, by name in upper case", () => {
    const text = "\r\nHKEY_CURRENT_USER\\Environment\r\n    Path    REG_EXPAND_SZ    %USERPROFILE%\\bin\r\n    STIGMER_HOME    REG_SZ    D:\\stig mer\r\n\r\n";
    expect(parseRegQuery(text)).toEqual(new Map([["PATH", "%USERPROFILE%\\bin"], ["STIGMER_HOME", "D:\\stig mer"]]));
  });

  test("what the task would lack: a variable the account does not have as this shell has it; PATH never", () => {
    const account = new Map([["TEMPORAL_SERVICE_ADDRESS", "localhost:7233"]]);
    const defaultHome = "C:\\Users\\me\\.stigmer";
    expect(variablesTheTaskLacks({ STIGMER_HOME: "c:\\users\\me\\.stigmer", PATH: "C:\\x", TEMPORAL_SERVICE_ADDRESS: "localhost:7233" }, account, defaultHome)).toEqual([]);
    expect(variablesTheTaskLacks({ STIGMER_HOME: "D:\\s", OLLAMA_BASE_URL: "http://x" }, account, defaultHome)).toEqual([
      { name: "STIGMER_HOME", value: "D:\\s" },
      { name: "OLLAMA_BASE_URL", value: "http://x" },
    ]);
  });

  test("the task's state from Get-ScheduledTask", () => {
    expect(taskState('{"state":"Running","lastResult":267009}')).toEqual({ state: "running", pid: null, detail: null });
    expect(taskState('{"state":"Ready","lastResult":1}')).toEqual({ state: "stopped", pid: null, detail: "last run ended with exit code 1" });
    expect(taskState('{"state":"Ready","lastResult":267011}')).toEqual({ state: "stopped", pid: null, detail: null });
  });
});

describe("xmlText", () => {
  test("escapes what XML gives a meaning, keeps the rest, refuses what XML cannot hold", () => {
    expect(xmlText(`a & b <c> "d" 'e' ünï\r`)).toBe(`a &amp; b &lt;c&gt; "d" 'e' ünï&#13;`);
    expect(() => xmlText("bell\u0007")).toThrow(StigmerError);
    expect(() => xmlText("half \ud800 pair")).toThrow(StigmerError);
    expect(xmlText("pair 😀")).toBe("pair 😀");
  });
});

describe("the service's last failure, from the end of logs/service.log", () => {
  const keyFailure = [
    "⚠ Keyring unavailable (no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)); not looking there for ANTHROPIC_API_KEY.",
    "✖ ANTHROPIC_API_KEY is not set, and there is no terminal to ask for it.",
    "  → export ANTHROPIC_API_KEY=…   or store it once with   stigmer secrets set ANTHROPIC_API_KEY",
    "",
  ].join("\n");

  test("the error that ends it, with its fix", () => {
    expect(lastFailureIn(keyFailure)).toBe(
      "ANTHROPIC_API_KEY is not set, and there is no terminal to ask for it. → export ANTHROPIC_API_KEY=…   or store it once with   stigmer secrets set ANTHROPIC_API_KEY",
    );
  });

  test("a component's stderr lines between the error and its fix are left out", () => {
    const text = "✖ The agent-runner failed: it exited with code 1, 11 quick runs in a row.\n  | Traceback\n  | boom\n  → Read /h/logs/agent-runner.log, fix the cause\n";
    expect(lastFailureIn(text)).toBe("The agent-runner failed: it exited with code 1, 11 quick runs in a row. → Read /h/logs/agent-runner.log, fix the cause");
  });

  test("none when the log ends otherwise: a failure followed by a good run, a clean stop", () => {
    expect(lastFailureIn(`${keyFailure}▸ runner    /srv/main.py\n▸ SIGTERM received: stopping\n`)).toBeNull();
    expect(lastFailureIn("")).toBeNull();
  });
});

describe("status, doctor and start --detach next to a service", () => {
  const report = (fields: Partial<ServiceReport>): ServiceReport => ({
    title: "systemd user unit stigmer.service",
    file: "/home/me/.config/systemd/user/stigmer.service",
    installed: true,
    state: "stopped",
    pid: null,
    runsStack: false,
    lastFailure: null,
    detail: null,
    hints: { start: "systemctl --user start stigmer.service", stop: "systemctl --user stop stigmer.service" },
    ...fields,
  });

  test("status's row: installed or not, running the stack or not, and why it failed", () => {
    expect(serviceRow(report({ installed: false }))).toEqual(["service", "not installed", "stigmer local install-service starts the stack at login"]);
    expect(serviceRow(report({ state: "running", pid: 41, runsStack: true }))).toEqual(["service", "running", "systemd user unit stigmer.service runs this stack (pid 41)"]);
    const failing = serviceRow(report({ state: "restarting", detail: "exit-code, exit status 1", lastFailure: "ANTHROPIC_API_KEY is not set. → stigmer secrets set ANTHROPIC_API_KEY" }));
    expect(failing[1]).toBe("restarting");
    expect(failing[2]).toContain("last start failed: ANTHROPIC_API_KEY is not set. → stigmer secrets set ANTHROPIC_API_KEY");
    expect(serviceRow(report({}))[2]).toBe("systemd user unit stigmer.service, starts at login (now: systemctl --user start stigmer.service)");
  });

  test("doctor: a failing service fails the check, with the way to start it again", () => {
    expect(serviceCheck(report({ installed: false })).verdict).toBe("pass");
    expect(serviceCheck(report({ state: "running", pid: 41, runsStack: true })).verdict).toBe("pass");
    const failing = serviceCheck(report({ state: "restarting", lastFailure: "no key → stigmer secrets set ANTHROPIC_API_KEY" }));
    expect(failing.verdict).toBe("fail");
    expect(failing.fix).toContain("systemctl --user start stigmer.service");
  });

  test("start --detach is refused while the service runs the stack or will start it again", () => {
    expect(detachRefusal(null)).toBeNull();
    expect(detachRefusal(report({ installed: false }))).toBeNull();
    expect(detachRefusal(report({ state: "stopped" }))).toBeNull();
    const running = detachRefusal(report({ state: "running", pid: 41, runsStack: true }))!;
    expect(running.message).toBe("The systemd user unit stigmer.service already runs the stack (pid 41).");
    expect(running.fix).toContain("systemctl --user stop stigmer.service");
    expect(detachRefusal(report({ state: "restarting", lastFailure: "no key" }))!.message).toContain("its last start failed: no key");
  });
});
