// Whose word the commands act on (issue 14): the state file, the home, the logs, the control socket.
// On the compiled binary, except the state file's temporary copy (its name holds the writer's pid).
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, linkSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { writeStateFile, type SupervisorState } from "../../src/lifecycle/control/state-file.ts";
import { processStartToken } from "../../src/platform/process/proc.ts";
import { cleanEnv, cleanupAll, FIXTURE_RUNNER, killGroupAtEnd, processAlive, runCli, spawnDevDaemon, stigmerBin, stopSupervisorAtEnd, tempDir, type DaemonProcess } from "../helpers.ts";

let daemon: DaemonProcess;
beforeAll(async () => {
  daemon = await spawnDevDaemon();
});
afterAll(() => daemon.stop());

afterEach(cleanupAll);

const isRoot = process.getuid?.() === 0;
const NOBODY = 65534;

function envFor(home: string, extra: Record<string, string> = {}): Record<string, string> {
  return cleanEnv({ STIGMER_HOME: home, STIGMER_BACKEND_ENDPOINT: daemon.endpoint, TEMPORAL_SERVICE_ADDRESS: daemon.endpoint, ANTHROPIC_API_KEY: "sk-ant-trust-123456789", ...extra });
}

/** A process of the user's own, in a group of its own, that no stigmer command has any business signalling. */
function stranger(): { pid: number; token: string } {
  const child = spawn("sleep", ["120"], { detached: true, stdio: "ignore" });
  killGroupAtEnd(child.pid!);
  return { pid: child.pid!, token: processStartToken(child.pid!)! };
}

/** A pid that no process has: one that ran and has been reaped. */
function deadPid(): number {
  return spawnSync("true").pid;
}

function writeState(home: string, state: Pick<SupervisorState, "supervisor" | "groups">): string {
  const file = path.join(home, "run", "supervisor.json");
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const whole: SupervisorState = { version: "0.1.0", startedAt: new Date().toISOString(), controlSocket: path.join(home, "run", "control.sock"), ...state };
  writeFileSync(file, JSON.stringify(whole), { mode: 0o600 });
  return file;
}

function expectClearError(result: { code: number | null; stderr: string }, message: string): void {
  expect(result.code).toBe(1);
  expect(result.stderr).toContain(message);
  expect(result.stderr).not.toContain("Unexpected error");
}

describe("the state file", () => {
  test("a null start token matches no process: the stranger a forged file names survives status, stop and start", () => {
    const victim = stranger();
    const home = tempDir();
    stopSupervisorAtEnd(home);
    const env = envFor(home);

    writeState(home, { supervisor: { pid: deadPid(), startToken: null }, groups: { "agent-runner": { pid: victim.pid, startToken: null } } });
    const status = runCli(["local", "status"], env);
    expect(status.code).toBe(3);
    expect(status.stderr).toContain("cleaned up after a supervisor that died");
    expect(status.stderr).not.toContain("killed");
    expect(processAlive(victim.pid)).toBe(true);

    writeState(home, { supervisor: { pid: victim.pid, startToken: null }, groups: {} });
    const stop = runCli(["local", "stop"], env);
    expect(stop.code).toBe(0);
    expect(stop.stderr).toContain("Nothing to stop");
    expect(processAlive(victim.pid)).toBe(true);

    writeState(home, { supervisor: { pid: deadPid(), startToken: null }, groups: { "agent-runner": { pid: victim.pid, startToken: null } } });
    expect(runCli(["local", "start", "-d", "--runner", FIXTURE_RUNNER], env).code).toBe(0);
    expect(processAlive(victim.pid)).toBe(true);
    expect(runCli(["local", "stop"], env).code).toBe(0);
    expect(processAlive(victim.pid)).toBe(true);
  });

  test.skipIf(!isRoot)("a home of another user: stop and start refuse before signalling anything its state file names", () => {
    const victim = stranger();
    const home = path.join(tempDir(), "theirs");
    mkdirSync(home, { mode: 0o700 });
    const byThem = (file: string) => chownSync(file, NOBODY, NOBODY);

    // Their state file names a process of ours, with its true start token.
    const file = writeState(home, { supervisor: { pid: victim.pid, startToken: victim.token }, groups: {} });
    for (const entry of [home, path.dirname(file), file]) byThem(entry);
    expectClearError(runCli(["local", "stop"], envFor(home)), `belongs to another user (uid ${NOBODY})`);
    expect(processAlive(victim.pid)).toBe(true);

    writeState(home, { supervisor: { pid: deadPid(), startToken: "1" }, groups: { "agent-runner": { pid: victim.pid, startToken: victim.token } } });
    byThem(file);
    expectClearError(runCli(["local", "start", "-d", "--runner", FIXTURE_RUNNER], envFor(home)), `belongs to another user (uid ${NOBODY})`);
    expect(processAlive(victim.pid)).toBe(true);
    expect(existsSync(file)).toBe(true);
  });

  test.skipIf(!isRoot)("a state file of another user, or a link, in a home of the user's own: refused, by name", () => {
    const victim = stranger();
    const home = tempDir();
    const file = writeState(home, { supervisor: { pid: victim.pid, startToken: victim.token }, groups: {} });
    chownSync(file, NOBODY, NOBODY);
    expectClearError(runCli(["local", "stop"], envFor(home)), `${file} belongs to another user (uid ${NOBODY})`);
    expect(processAlive(victim.pid)).toBe(true);

    const elsewhere = path.join(tempDir(), "state.json");
    writeFileSync(elsewhere, readFileSync(file));
    chownSync(elsewhere, 0, 0);
    const linked = tempDir();
    mkdirSync(path.join(linked, "run"), { mode: 0o700 });
    symlinkSync(elsewhere, path.join(linked, "run", "supervisor.json"));
    expectClearError(runCli(["local", "stop"], envFor(linked)), "is a symbolic link");
    expect(processAlive(victim.pid)).toBe(true);
  });

  test("a state file that cannot be read: a clear error naming it, and the file is kept", () => {
    // As its owner, but not root (root reads whatever it likes).
    const base = tempDir();
    chmodSync(base, 0o755);
    const home = path.join(base, "home");
    const file = writeState(home, { supervisor: { pid: deadPid(), startToken: "1" }, groups: {} });
    const uid = isRoot ? NOBODY : process.getuid!();
    for (const entry of [home, path.dirname(file), file]) chownSync(entry, uid, uid);
    const asOwner = (args: string[]) => {
      const result = spawnSync(stigmerBin(), args, { env: envFor(home), uid, gid: uid, encoding: "utf8", timeout: 30_000 });
      return { code: result.status, stderr: result.stderr };
    };
    chmodSync(file, 0o000);
    expectClearError(asOwner(["local", "status"]), `Cannot open ${file}: permission denied`);
    expect(existsSync(file)).toBe(true);
    chmodSync(file, 0o600);
    chmodSync(path.dirname(file), 0o000);
    expectClearError(asOwner(["local", "stop"]), `Cannot open ${file}: permission denied`);
    chmodSync(path.dirname(file), 0o700);
  });

  test("STIGMER_HOME that is a regular file: status names the problem", () => {
    const home = path.join(tempDir(), "a-file");
    writeFileSync(home, "");
    expectClearError(runCli(["local", "status"], envFor(home)), `${home} exists but is not a directory`);
  });

  test("a relative STIGMER_HOME is the same home from any directory that names it", () => {
    const base = tempDir();
    mkdirSync(path.join(base, "sub"));
    const home = path.join(base, "relative-home");
    stopSupervisorAtEnd(home);
    const inDir = (cwd: string, stigmerHome: string, ...args: string[]) => {
      const result = spawnSync(stigmerBin(), args, { cwd, env: envFor(stigmerHome), encoding: "utf8", timeout: 30_000 });
      return { code: result.status, stdout: result.stdout, stderr: result.stderr };
    };
    expect(inDir(base, "relative-home", "local", "start", "-d", "--runner", FIXTURE_RUNNER).code).toBe(0);
    const fromSub = inDir(path.join(base, "sub"), "../relative-home", "local", "status", "--json");
    expect(fromSub.code).toBe(0);
    const report = JSON.parse(fromSub.stdout);
    killGroupAtEnd(report.runner.pid);
    expect(report.logs.runner).toBe(path.join(home, "logs", "agent-runner.log"));
    expect(inDir("/", home, "local", "status").code).toBe(0);
    expect(inDir(path.join(base, "sub"), "../relative-home", "local", "stop").stderr).toContain("Stopped");
  });
});

describe("files under STIGMER_HOME", () => {
  function plantedHome(log: "agent-runner.log" | "supervisor.log", how: "symlink" | "hardlink") {
    const home = tempDir();
    stopSupervisorAtEnd(home);
    mkdirSync(path.join(home, "logs"), { recursive: true, mode: 0o700 });
    const victim = path.join(tempDir("stigmer-victim-"), "precious.txt");
    writeFileSync(victim, "precious\n", { mode: 0o644 });
    chmodSync(victim, 0o644);
    (how === "symlink" ? symlinkSync : linkSync)(victim, path.join(home, "logs", log));
    return { home, victim };
  }

  test.each([
    ["agent-runner.log", "symlink", "is a symbolic link"],
    ["supervisor.log", "symlink", "is a symbolic link"],
    ["agent-runner.log", "hardlink", "has other names (hard links)"],
  ] as const)("a %s planted as a %s: start refuses it by name, and its target is neither written nor chmodded", (log, how, message) => {
    const { home, victim } = plantedHome(log, how);
    const result = runCli(["local", "start", "-d", "--runner", FIXTURE_RUNNER], envFor(home));
    expectClearError(result, message);
    expect(readFileSync(victim, "utf8")).toBe("precious\n");
    expect(statSync(victim).mode & 0o777).toBe(0o644);
  });

  test("the state file's temporary copy: a link planted at its name is replaced, never followed", () => {
    const dir = tempDir();
    const file = path.join(dir, "supervisor.json");
    const victim = path.join(tempDir("stigmer-victim-"), "precious.txt");
    writeFileSync(victim, "precious\n", { mode: 0o644 });
    chmodSync(victim, 0o644);
    symlinkSync(victim, `${file}.${process.pid}.tmp`);
    const state: SupervisorState = { version: "0.1.0", startedAt: "2026-01-01T00:00:00.000Z", supervisor: { pid: 10, startToken: "1" }, controlSocket: "/x", groups: {} };
    writeStateFile(file, state);
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual(state);
    expect(readFileSync(victim, "utf8")).toBe("precious\n");
    expect(statSync(victim).mode & 0o777).toBe(0o644);
    expect(existsSync(`${file}.${process.pid}.tmp`)).toBe(false);
  });

  test("an existing --workspace keeps its mode; one that stigmer creates is 0700", () => {
    const home = tempDir();
    stopSupervisorAtEnd(home);
    const project = path.join(tempDir("stigmer-work-"), "project");
    mkdirSync(project, { mode: 0o755 });
    chmodSync(project, 0o755);
    expect(runCli(["local", "start", "-d", "--runner", FIXTURE_RUNNER, "--workspace", project], envFor(home)).code).toBe(0);
    expect(statSync(project).mode & 0o777).toBe(0o755);
    expect(runCli(["local", "stop"], envFor(home)).code).toBe(0);

    const created = path.join(tempDir("stigmer-work-"), "new", "workspace");
    expect(runCli(["local", "start", "-d", "--runner", FIXTURE_RUNNER, "--workspace", created], envFor(home)).code).toBe(0);
    expect(statSync(created).mode & 0o777).toBe(0o700);
    expect(runCli(["local", "stop"], envFor(home)).code).toBe(0);
  });
});

describe("the control socket of a long home", () => {
  /** A home whose run/control.sock would be too long for a Unix socket: the socket goes under the temp dir. */
  function longHome(): string {
    const home = path.join(tempDir(), "h".repeat(100));
    stopSupervisorAtEnd(home);
    return home;
  }

  test("found through the state file from another TMPDIR: status answers, stop stops it gracefully", () => {
    const home = longHome();
    const startedWith = tempDir("stigmer-tmp-");
    const other = tempDir("stigmer-tmp-");
    expect(runCli(["local", "start", "-d", "--runner", FIXTURE_RUNNER], envFor(home, { TMPDIR: startedWith })).code).toBe(0);
    const state = JSON.parse(readFileSync(path.join(home, "run", "supervisor.json"), "utf8"));
    expect(state.controlSocket.startsWith(startedWith)).toBe(true);
    killGroupAtEnd(state.groups["agent-runner"].pid);
    const status = runCli(["local", "status", "--json"], envFor(home, { TMPDIR: other }));
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout).supervisor.pid).toBe(state.supervisor.pid);
    const stop = runCli(["local", "stop"], envFor(home, { TMPDIR: other }));
    expect(stop.stderr).toContain(`Stopped (supervisor pid ${state.supervisor.pid})`);
    expect(processAlive(state.supervisor.pid)).toBe(false);
  });

  test("a socket directory that others can write to is not trusted", () => {
    const home = longHome();
    const env = envFor(home, { TMPDIR: tempDir("stigmer-tmp-") });
    expect(runCli(["local", "start", "-d", "--runner", FIXTURE_RUNNER], env).code).toBe(0);
    const state = JSON.parse(readFileSync(path.join(home, "run", "supervisor.json"), "utf8"));
    killGroupAtEnd(state.groups["agent-runner"].pid);
    const dir = path.dirname(state.controlSocket);
    chmodSync(dir, 0o777);
    expectClearError(runCli(["local", "status"], env), `${dir} can be written by others`);
    chmodSync(dir, 0o700);
    expect(runCli(["local", "stop"], env).stderr).toContain("Stopped");
  });
});
