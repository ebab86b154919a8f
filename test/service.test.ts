// The login service for real. The launchd plist and the task XML are parsed back by Python's own
// parsers. On Linux, the compiled binary installs the systemd unit under a temporary HOME whose
// paths hold spaces, quotes, %, $ and non-ASCII letters; systemd-analyze checks it; its ExecStart
// is run as written, with the unit's environment; and, when a systemd user manager can be started
// here (as root: its own cgroup and a private /run/systemd), install, start, status, stop and
// uninstall go through `systemctl --user`. Each test says which of these ran.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, closeSync, copyFileSync, existsSync, linkSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { homeLayout } from "../src/lifecycle/control/state-dir.ts";
import type { ServiceDescription } from "../src/platform/service/description.ts";
import { LAUNCHD_LABEL, renderLaunchdPlist } from "../src/platform/service/launchd.ts";
import { inspectService, serviceRow } from "../src/platform/service/report.ts";
import { renderTaskXml, taskXmlBytes } from "../src/platform/service/task-scheduler.ts";
import { cleanEnv, cleanupAll, FIXTURE_RUNNER, killAtEnd, processAlive, spawnDevDaemon, stigmerBin, stopSupervisorAtEnd, tempDir, waitFor, type DaemonProcess } from "./helpers.ts";

afterEach(cleanupAll);

/** Python 3 by the name each platform gives it. */
const PYTHON = process.platform === "win32" ? "python" : "python3";

/** Runs a Python script on a file and returns what it printed as JSON. */
function python(script: string, ...args: string[]): unknown {
  const result = spawnSync(PYTHON, ["-c", script, ...args], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`python3 failed: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

const SAMPLE: ServiceDescription = {
  summary: "Stigmer local mode & <friends>",
  command: [
    "/Users/Zoë O'Brien/bin dir/stigmer",
    "local",
    "start",
    `--runner=/Users/Zoë O'Brien/my "runner"`,
    "--ready-line=a<b>&c",
    "--model=",
    "line\nbreak\ttab\rreturn",
    "😀",
  ],
  environment: { STIGMER_HOME: "/Users/Zoë O'Brien/.stigmer 100% $x", PATH: "/opt/homebrew/bin:/usr/bin" },
  workingDirectory: "/Users/Zoë O'Brien/.stigmer 100% $x",
  errorLog: "/Users/Zoë O'Brien/.stigmer 100% $x/logs/service.log",
  stopTimeoutMs: 35_000,
  restartDelayMs: 10_000,
};

describe("the LaunchAgent's plist, read back by Python's plistlib", () => {
  test("every field is what the description says, whatever its characters", () => {
    const file = path.join(tempDir(), `${LAUNCHD_LABEL}.plist`);
    writeFileSync(file, renderLaunchdPlist(SAMPLE));
    const plist = python("import json, plistlib, sys; print(json.dumps(plistlib.load(open(sys.argv[1], 'rb'))))", file);
    expect(plist).toEqual({
      Label: "dev.stigmer.local",
      ProgramArguments: [...SAMPLE.command],
      WorkingDirectory: SAMPLE.workingDirectory,
      EnvironmentVariables: { ...SAMPLE.environment },
      RunAtLoad: true,
      KeepAlive: { SuccessfulExit: false },
      ThrottleInterval: 10,
      ExitTimeOut: 35,
      StandardOutPath: "/dev/null",
      StandardErrorPath: SAMPLE.errorLog,
    });
    // macOS's own checker, where there is one (the macOS runner in CI).
    if (Bun.which("plutil")) expect(spawnSync("plutil", ["-lint", file], { encoding: "utf8" }).status).toBe(0);
  });
});

describe("the logon task's XML, read back by Python's XML parser", () => {
  const windows: ServiceDescription = {
    ...SAMPLE,
    command: ["C:\\Program Files\\stigmer\\stigmer.exe", "local", "start", "--runner=C:\\Users\\Zoë O'Brien\\my runner\\", '--ready-line=say "ready" & <go>', "--model=", "ünïcødé 100%"],
    workingDirectory: "C:\\Users\\Zoë O'Brien\\.stigmer",
  };
  const READ_TASK = `
import json, subprocess, sys, xml.etree.ElementTree as ET
ns = {"t": "http://schemas.microsoft.com/windows/2004/02/mit/task"}
root = ET.parse(sys.argv[1]).getroot()
text = lambda where: root.find("t:" + where.replace("/", "/t:"), ns).text
print(json.dumps({
  "version": root.get("version"),
  "description": text("RegistrationInfo/Description"),
  "logonEnabled": text("Triggers/LogonTrigger/Enabled"),
  "logonUser": text("Triggers/LogonTrigger/UserId"),
  "principalUser": text("Principals/Principal/UserId"),
  "logonType": text("Principals/Principal/LogonType"),
  "runLevel": text("Principals/Principal/RunLevel"),
  "multipleInstances": text("Settings/MultipleInstancesPolicy"),
  "onBatteries": [text("Settings/DisallowStartIfOnBatteries"), text("Settings/StopIfGoingOnBatteries")],
  "timeLimit": text("Settings/ExecutionTimeLimit"),
  "restart": [text("Settings/RestartOnFailure/Interval"), text("Settings/RestartOnFailure/Count")],
  "command": text("Actions/Exec/Command"),
  "arguments": text("Actions/Exec/Arguments"),
  "workingDirectory": text("Actions/Exec/WorkingDirectory"),
  "argumentsByPython": subprocess.list2cmdline(json.loads(sys.argv[2])),
}))`;

  test("UTF-16 with a byte order mark; every field as described; the arguments as Python's list2cmdline writes them", () => {
    const file = path.join(tempDir(), "logon-task.xml");
    writeFileSync(file, taskXmlBytes(renderTaskXml(windows, { userId: "PC\\Zoë O'Brien" })));
    const task = python(READ_TASK, file, JSON.stringify(windows.command.slice(1))) as Record<string, unknown>;
    expect(task).toEqual({
      version: "1.2",
      description: SAMPLE.summary,
      logonEnabled: "true",
      logonUser: "PC\\Zoë O'Brien",
      principalUser: "PC\\Zoë O'Brien",
      logonType: "InteractiveToken",
      runLevel: "LeastPrivilege",
      multipleInstances: "IgnoreNew",
      onBatteries: ["false", "false"],
      timeLimit: "PT0S",
      restart: ["PT1M", "3"],
      command: "C:\\Program Files\\stigmer\\stigmer.exe",
      arguments: task.argumentsByPython,
      workingDirectory: windows.workingDirectory,
      argumentsByPython: 'local start "--runner=C:\\Users\\Zoë O\'Brien\\my runner\\\\" "--ready-line=say \\"ready\\" & <go>" --model= "ünïcødé 100%"',
    });
  });
});

// ---------------------------------------------------------------------------------------------
// systemd, for real

/** The unit's settings by name, in order: the renderer writes one setting per line. */
function unitSettings(text: string): Record<string, string[]> {
  const settings: Record<string, string[]> = {};
  for (const line of text.split("\n")) {
    const match = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (match) (settings[match[1]!] ??= []).push(match[2]!);
  }
  return settings;
}

const C_ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r" };

/**
 * A value split into words as systemd reads what the renderer writes (systemd.service(5),
 * "Command lines"): words at spaces, "…" with C escapes, then %% → % and, in ExecStart's
 * arguments (not its program), $$ → $. The private user manager below runs the same unit as
 * systemd itself reads it.
 */
function systemdWords(value: string, kind: "exec" | "environment"): string[] {
  const words: string[] = [];
  let at = 0;
  while (at < value.length) {
    if (value[at] === " ") {
      at += 1;
      continue;
    }
    let word = "";
    if (value[at] === '"') {
      at += 1;
      while (value[at] !== '"') {
        if (value[at] === "\\") {
          const next = value[at + 1]!;
          if (next === "x") {
            word += String.fromCharCode(parseInt(value.slice(at + 2, at + 4), 16));
            at += 4;
          } else {
            word += C_ESCAPES[next] ?? next;
            at += 2;
          }
          continue;
        }
        word += value[at++];
      }
      at += 1;
    } else {
      while (at < value.length && value[at] !== " ") word += value[at++];
    }
    const literal = word.replaceAll("%%", "%");
    words.push(kind === "exec" && words.length > 0 ? literal.replaceAll("$$", "$") : literal);
  }
  return words;
}

/** A path setting's value: the path as it is, specifiers undone. */
const systemdPath = (value: string) => value.replaceAll("%%", "%");

const onLinux = process.platform === "linux";
const interpreter = spawnSync(PYTHON, ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" }).stdout.trim();

const systemdMissing = !onLinux ? "not Linux" : !Bun.which("systemctl") || !Bun.which("systemd-analyze") ? "systemd is not installed: apt-get install systemd" : null;

describe.skipIf(systemdMissing !== null)(`the systemd user unit${systemdMissing ? ` (skipped: ${systemdMissing})` : ""}`, () => {
  let daemon: DaemonProcess;
  beforeAll(async () => {
    daemon = await spawnDevDaemon();
  });
  afterAll(() => daemon.stop());

  /**
   * A HOME, a STIGMER_HOME and the runner under a directory whose name has spaces, quotes, %, $
   * and non-ASCII letters, the binary under one with all but quotes; the dev daemon stands in for
   * stigmer-server and Temporal.
   */
  function setup(extra: Record<string, string | undefined> = {}) {
    const base = tempDir("stigmer-service-");
    const awkward = path.join(base, `Zoë O'Brien "q" 100% $x`);
    const home = path.join(base, "home");
    const runtimeDir = path.join(base, "run");
    const runnerDir = path.join(awkward, "runner dir");
    // systemd runs no program whose path holds quotes (install-service says so): all the rest here.
    const bin = path.join(base, "bïn 100% $x", "stigmer");
    for (const dir of [home, runnerDir, path.dirname(bin)]) mkdirSync(dir, { recursive: true });
    mkdirSync(runtimeDir, { mode: 0o700 });
    copyFileSync(FIXTURE_RUNNER, path.join(runnerDir, "main.py"));
    // The binary by another name, so that the unit's program path is an awkward one too.
    try {
      linkSync(stigmerBin(), bin);
    } catch {
      copyFileSync(stigmerBin(), bin);
      chmodSync(bin, 0o755);
    }
    const stigmerHome = path.join(awkward, ".stigmer");
    const env = cleanEnv({
      HOME: home,
      XDG_CONFIG_HOME: undefined,
      XDG_RUNTIME_DIR: runtimeDir,
      DBUS_SESSION_BUS_ADDRESS: undefined,
      STIGMER_HOME: stigmerHome,
      STIGMER_AGENT_RUNNER: runnerDir,
      // pyenv's shims on PATH would look for pyenv under the temporary HOME.
      STIGMER_PYTHON: interpreter,
      STIGMER_BACKEND_ENDPOINT: daemon.endpoint,
      TEMPORAL_SERVICE_ADDRESS: daemon.endpoint,
      STIGMER_LLM_PROVIDER: "ollama",
      ...extra,
    });
    stopSupervisorAtEnd(stigmerHome);
    const unitFile = path.join(home, ".config", "systemd", "user", "stigmer.service");
    const wantedLink = path.join(home, ".config", "systemd", "user", "default.target.wants", "stigmer.service");
    return { home, runtimeDir, runnerDir, bin, stigmerHome, env, unitFile, wantedLink, layout: homeLayout(stigmerHome) };
  }
  type Setup = ReturnType<typeof setup>;

  function stigmer(s: Setup, args: string[]) {
    const result = spawnSync(s.bin, args, { env: s.env, encoding: "utf8", timeout: 60_000, stdio: ["ignore", "pipe", "pipe"] });
    return { code: result.status, stdout: result.stdout ?? "", stderr: result.stderr ?? "" };
  }

  async function statusWhenReady(s: Setup) {
    return waitFor("the stack to be ready", () => {
      const status = stigmer(s, ["local", "status", "--json"]);
      if (status.code !== 0) return null;
      const report = JSON.parse(status.stdout);
      return report.components.length > 0 && report.components.every((member: { ready: boolean }) => member.ready) ? report : null;
    });
  }

  /** Runs the unit's ExecStart as written, with the unit's environment (and the HOME a user manager gives), its stderr appended to its log. */
  function startAsWritten(s: Setup): { child: ChildProcess; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>; settings: Record<string, string[]> } {
    const settings = unitSettings(readFileSync(s.unitFile, "utf8"));
    const argv = systemdWords(settings.ExecStart![0]!, "exec");
    const env: Record<string, string> = { HOME: s.home };
    for (const assignment of settings.Environment!.flatMap((value) => systemdWords(value, "environment"))) {
      const equals = assignment.indexOf("=");
      env[assignment.slice(0, equals)] = assignment.slice(equals + 1);
    }
    const errorLog = openSync(systemdPath(settings.StandardError![0]!.replace(/^append:/, "")), "a");
    const child = spawn(argv[0]!, argv.slice(1), { cwd: systemdPath(settings.WorkingDirectory![0]!), env, stdio: ["ignore", "ignore", errorLog], detached: true });
    closeSync(errorLog);
    killAtEnd(child.pid!);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
    return { child, exited, settings };
  }

  const timeoutStopMs = (settings: Record<string, string[]>) => Number(/^(\d+)s$/.exec(settings.TimeoutStopSec![0]!)![1]) * 1000;

  test("install-service writes the unit, enables it, keeps keys out; systemd-analyze verify accepts it", () => {
    const key = "sk-ant-api03-install-time-key-0123456789";
    const s = setup({ ANTHROPIC_API_KEY: key });
    const installed = stigmer(s, ["local", "install-service", "--stop-timeout", "2s"]);
    expect(installed.stderr).toContain("Installed systemd user unit stigmer.service");
    expect(installed.code).toBe(0);
    const unit = readFileSync(s.unitFile, "utf8");
    expect(unit).not.toContain(key);
    expect(unit).not.toContain("API_KEY");
    expect(lstatSync(s.wantedLink).isSymbolicLink()).toBe(true);

    // --user needs a runtime directory, not a running user manager; without one, the same file is checked as a system unit.
    let verified = spawnSync("systemd-analyze", ["verify", "--user", s.unitFile], { env: s.env, encoding: "utf8" });
    let how = "systemd-analyze verify --user";
    if (verified.status !== 0 && /initialize manager|RuntimeDirectory/.test(verified.stderr)) {
      verified = spawnSync("systemd-analyze", ["verify", s.unitFile], { env: s.env, encoding: "utf8" });
      how = "systemd-analyze verify (as a system unit: --user could not start here)";
    }
    console.info(`checked with ${how}`);
    expect(verified.stderr.split("\n").filter((line) => line.includes("stigmer.service"))).toEqual([]);
    expect(verified.status).toBe(0);
  });

  test("install-service twice is idempotent; uninstall-service removes it, and without one is exit 0 with a note", () => {
    const s = setup();
    expect(stigmer(s, ["local", "install-service"]).code).toBe(0);
    const first = readFileSync(s.unitFile);
    const again = stigmer(s, ["local", "install-service"]);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain("Already installed, unchanged: systemd user unit stigmer.service");
    expect(readFileSync(s.unitFile)).toEqual(first);

    const removed = stigmer(s, ["local", "uninstall-service"]);
    expect(removed.code).toBe(0);
    expect(removed.stderr).toContain("Stopped and removed the systemd user unit stigmer.service");
    expect(existsSync(s.unitFile)).toBe(false);
    expect(existsSync(s.wantedLink)).toBe(false);

    const none = stigmer(s, ["local", "uninstall-service"]);
    expect(none.code).toBe(0);
    expect(none.stderr).toContain("No login service to remove");
  });

  test("its ExecStart, run as written, brings the stack up and stops it on SIGTERM within TimeoutStopSec, leaving nothing", async () => {
    const s = setup();
    expect(stigmer(s, ["local", "install-service", "--stop-timeout", "2s"]).code).toBe(0);
    const { child, exited, settings } = startAsWritten(s);
    expect(systemdWords(settings.ExecStart![0]!, "exec")).toEqual([
      s.bin,
      "local",
      "start",
      `--runner=${s.runnerDir}`,
      `--python=${interpreter}`,
      `--endpoint=${daemon.endpoint}`,
      "--provider=ollama",
      "--temporal=off",
      "--stop-timeout=2s",
    ]);

    const report = await statusWhenReady(s);
    // The service's main process is the supervisor itself: what systemd signals is what stops the stack.
    expect(report.supervisor.pid).toBe(child.pid);
    const pids: number[] = [report.supervisor.pid, ...report.components.map((member: { pid: number }) => member.pid)];

    const stoppedAt = performance.now();
    child.kill("SIGTERM");
    const exit = await exited;
    const tookMs = performance.now() - stoppedAt;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(tookMs).toBeLessThan(timeoutStopMs(settings));
    for (const pid of pids) expect(processAlive(pid)).toBe(false);
    expect(existsSync(s.layout.stateFile)).toBe(false);
    expect(stigmer(s, ["local", "status"]).code).toBe(3);
  });

  test("without a key it cannot read, the service fails with one line naming `stigmer secrets set NAME`, and status shows it", async () => {
    const s = setup({ STIGMER_LLM_PROVIDER: undefined });
    expect(stigmer(s, ["local", "install-service"]).code).toBe(0);
    const { exited } = startAsWritten(s);
    expect(await exited).toEqual({ code: 1, signal: null });
    const log = readFileSync(path.join(s.stigmerHome, "logs", "service.log"), "utf8");
    expect(log.split("\n").filter((line) => line.includes("stigmer secrets set ANTHROPIC_API_KEY"))).toHaveLength(1);

    const report = inspectService(s.layout, null, s.env)!;
    expect(report.installed).toBe(true);
    expect(report.lastFailure).toContain("ANTHROPIC_API_KEY is not set");
    expect(report.lastFailure).toContain("stigmer secrets set ANTHROPIC_API_KEY");
    expect(serviceRow(report)[2]).toContain("last start failed: ANTHROPIC_API_KEY is not set");

    // The same through the commands.
    const status = stigmer(s, ["local", "status"]);
    expect(status.code).toBe(3);
    expect(status.stdout).toMatch(/^service +unknown +systemd user unit stigmer\.service: .*; last start failed: ANTHROPIC_API_KEY is not set.*stigmer secrets set ANTHROPIC_API_KEY$/m);
    expect(JSON.parse(stigmer(s, ["local", "status", "--json"]).stdout).service).toMatchObject({ installed: true, runsStack: false });
    const doctor = JSON.parse(stigmer(s, ["doctor", "--json"]).stdout);
    expect(doctor.checks.find((check: { check: string }) => check.check === "service")).toMatchObject({ verdict: "fail" });
  });

  const unavailable = userManagerUnavailable();
  test.skipIf(unavailable !== null)(
    `through systemctl --user, with a private systemd user manager${unavailable ? ` (skipped: ${unavailable})` : ""}: install, start, status, stop, uninstall`,
    async () => {
      const s = setup();
      const manager = await startUserManager(s.home, s.runtimeDir);
      if ("reason" in manager) {
        console.warn(`no systemd user manager could be started here (${manager.reason}): the unit was checked by systemd-analyze and by running its ExecStart as written`);
        return;
      }
      console.info("systemd: a private systemd user manager runs the unit");
      const systemctl = (...args: string[]) => spawnSync("systemctl", ["--user", ...args], { env: s.env, encoding: "utf8" });
      try {
        // Installed and enabled; nothing runs until it is started.
        expect(stigmer(s, ["local", "install-service", "--stop-timeout", "2s"]).code).toBe(0);
        expect(systemctl("is-enabled", "stigmer.service").stdout.trim()).toBe("enabled");
        expect(stigmer(s, ["local", "status"]).code).toBe(3);

        // Started by systemd, which read the awkward paths of ExecStart, Environment and WorkingDirectory itself.
        expect(systemctl("start", "stigmer.service").status).toBe(0);
        const report = await statusWhenReady(s);
        const service = inspectService(s.layout, report.supervisor.pid, s.env)!;
        expect(service).toMatchObject({ installed: true, state: "running", pid: report.supervisor.pid, runsStack: true });
        // status, doctor and start -d say the same.
        expect(JSON.parse(stigmer(s, ["local", "status", "--json"]).stdout).service).toMatchObject({ state: "running", runsStack: true });
        expect(stigmer(s, ["local", "status"]).stdout).toMatch(/^service +running +systemd user unit stigmer\.service runs this stack \(pid \d+\)$/m);
        const doctor = JSON.parse(stigmer(s, ["doctor", "--json"]).stdout);
        expect(doctor.checks.find((check: { check: string }) => check.check === "service")).toMatchObject({ verdict: "pass" });
        const detached = stigmer(s, ["local", "start", "-d"]);
        expect(detached.code).toBe(1);
        expect(detached.stderr).toContain(`The systemd user unit stigmer.service already runs the stack (pid ${report.supervisor.pid}).`);
        expect(detached.stderr).toContain("systemctl --user stop stigmer.service");

        // A second install --now with the same settings leaves the running stack alone.
        expect(stigmer(s, ["local", "install-service", "--stop-timeout", "2s", "--now"]).code).toBe(0);
        expect((await statusWhenReady(s)).supervisor.pid).toBe(report.supervisor.pid);

        // systemctl stop: SIGTERM to stigmer, which stops the stack, within TimeoutStopSec.
        const pids: number[] = [report.supervisor.pid, ...report.components.map((member: { pid: number }) => member.pid)];
        const stoppedAt = performance.now();
        expect(systemctl("stop", "stigmer.service").status).toBe(0);
        expect(performance.now() - stoppedAt).toBeLessThan(timeoutStopMs(unitSettings(readFileSync(s.unitFile, "utf8"))));
        for (const pid of pids) expect(processAlive(pid)).toBe(false);
        expect(stigmer(s, ["local", "status"]).code).toBe(3);

        // install --now starts it; uninstall stops it and removes it.
        expect(stigmer(s, ["local", "install-service", "--stop-timeout", "2s", "--now"]).code).toBe(0);
        const again = await statusWhenReady(s);
        expect(stigmer(s, ["local", "uninstall-service"]).code).toBe(0);
        expect(processAlive(again.supervisor.pid)).toBe(false);
        expect(existsSync(s.unitFile)).toBe(false);
        expect(systemctl("show", "stigmer.service", "--property=LoadState").stdout.trim()).toBe("LoadState=not-found");
        expect(stigmer(s, ["local", "status"]).code).toBe(3);
      } finally {
        await manager.stop();
      }
    },
    120_000,
  );
});

// ---------------------------------------------------------------------------------------------
// A private systemd user manager

const SYSTEMD = ["/usr/lib/systemd/systemd", "/lib/systemd/systemd"].find((file) => existsSync(file));
/** The cgroup v2 hierarchy systemd tracks processes in: beside the v1 ones (hybrid), or the only one. */
const UNIFIED = ["/sys/fs/cgroup/unified", "/sys/fs/cgroup"].find((dir) => existsSync(path.join(dir, "cgroup.controllers")));
/** systemd's own v1 hierarchy, on a hybrid system. */
const NAMED_SYSTEMD = existsSync("/sys/fs/cgroup/systemd/cgroup.procs") ? "/sys/fs/cgroup/systemd" : null;

/** Why no private user manager can be started here, or null. */
function userManagerUnavailable(): string | null {
  if (!onLinux) return "not Linux";
  // It creates cgroups and mounts on the machine it runs on: only where someone asked for that.
  if (process.env.STIGMER_TEST_USER_MANAGER !== "1") return "set STIGMER_TEST_USER_MANAGER=1 to start a private systemd user manager";
  if (process.getuid?.() !== 0) return "not root: a user manager outside a login session needs a cgroup of its own and a private mount namespace";
  if (!SYSTEMD || !Bun.which("systemctl")) return "systemd is not installed";
  if (!Bun.which("unshare") || !Bun.which("timeout")) return "unshare or timeout is missing";
  if (!UNIFIED) return "no cgroup v2 hierarchy";
  if (!existsSync("/run/systemd")) return "no /run/systemd to put a private one over";
  return null;
}

/**
 * Moves itself into a cgroup of its own, checks that it got there (a user manager takes its
 * cgroup for its whole domain, and moves every process in it into init.scope: started in the
 * machine's root cgroup, it would take every process of the machine), then runs `systemd --user`
 * in a private mount namespace where /run/systemd/system exists: systemd refuses to run on a
 * system not booted with it. `timeout` ends it if the test dies.
 */
const START_MANAGER = `set -e
for dir in "$@"; do mkdir "$dir"; echo $$ > "$dir/cgroup.procs"; done
grep -qx "0::/$LEAF" /proc/self/cgroup || { echo "could not move into a cgroup of its own" >&2; exit 9; }
exec timeout --kill-after=10 240 unshare --mount --propagation private sh -c 'mount -t tmpfs tmpfs /run/systemd && mkdir /run/systemd/system && exec "$0" --user' "$SYSTEMD"`;

async function startUserManager(home: string, runtimeDir: string): Promise<{ stop(): Promise<void> } | { reason: string }> {
  const leaf = `stigmer-test-user-manager-${process.pid}`;
  const cgroups = [UNIFIED!, NAMED_SYSTEMD].filter((root): root is string => root !== null).map((root) => path.join(root, leaf));
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, XDG_RUNTIME_DIR: runtimeDir, LEAF: leaf, SYSTEMD: SYSTEMD! };
  const child = spawn("sh", ["-c", START_MANAGER, "sh", ...cgroups], { env, stdio: ["ignore", "ignore", "pipe"], detached: true });
  let said = "";
  child.stderr!.on("data", (chunk) => (said += chunk));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await Promise.race([exited, Bun.sleep(60_000)]);
    removeCgroups(cgroups);
  };
  const answers = () => spawnSync("systemctl", ["--user", "show-environment"], { env, stdio: "ignore" }).status === 0;
  const deadline = Date.now() + 15_000;
  while (!answers()) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      return { reason: said.trim() || `it did not answer (exit ${child.exitCode})` };
    }
    await Bun.sleep(100);
  }
  return { stop };
}

/** The test's cgroups, deepest first; a process left in one (there should be none) is killed first. */
function removeCgroups(roots: string[]): void {
  for (const root of roots) {
    if (!existsSync(root)) continue;
    const dirs: string[] = [];
    const walk = (dir: string) => {
      dirs.push(dir);
      for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) walk(path.join(dir, entry.name));
    };
    walk(root);
    for (const dir of dirs.reverse()) {
      for (const pid of readFileSync(path.join(dir, "cgroup.procs"), "utf8").split("\n").filter(Boolean)) {
        try {
          process.kill(Number(pid), "SIGKILL");
        } catch {
          // Gone already.
        }
      }
      for (let tries = 0; tries < 50; tries++) {
        try {
          rmdirSync(dir);
          break;
        } catch {
          Bun.sleepSync(20);
        }
      }
    }
  }
}
