// The key's ways out, found by trying to break the compiled binary (issue 14): the key variables
// of another provider, a key printed encoded, a core file of the background supervisor, a
// debugger served by it, a `python3` in the current directory, and a probe's leftover fork.
import { afterEach, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { lookUpOnPath, searchDirectories } from "../../src/platform/process/path-lookup.ts";
import { REDACTED } from "../../src/secrets/redact.ts";
import { cleanEnv, cleanupAll, FIXTURE_RUNNER, killAtEnd, killGroupAtEnd, processAlive, runCli, stigmerBin, stopSupervisorAtEnd, tempDir, waitFor } from "../helpers.ts";
import { startKeyringSession } from "../secrets/session.ts";

afterEach(cleanupAll);

const START = ["local", "start", "--detach", "--no-wait-daemon", "--runner", FIXTURE_RUNNER];

function setup(extra: Record<string, string> = {}) {
  const home = tempDir();
  stopSupervisorAtEnd(home);
  const env = cleanEnv({ STIGMER_HOME: home, ...extra });
  const supervisorPid = (): number => JSON.parse(readFileSync(path.join(home, "run", "supervisor.json"), "utf8")).supervisor.pid;
  const runnerLog = () => readFileSync(path.join(home, "logs", "agent-runner.log"), "utf8");
  return { home, env, supervisorPid, runnerLog };
}

/** What the fixture prints for FIXTURE_SAY_ENCODED, worked out here on our own: each form's exact text. */
function printedForms(value: string): { text: string[]; base64: string[] } {
  const pythonJson = JSON.stringify(value).replace(/[\u0080-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`);
  const quote = (plusForSpace: boolean) =>
    [...Buffer.from(value)]
      .map((byte) => {
        const char = String.fromCharCode(byte);
        if (/[A-Za-z0-9_.~-]/.test(char)) return char;
        return plusForSpace && char === " " ? "+" : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
      })
      .join("");
  const base64 = [0, 1, 2].flatMap((before) => {
    const standard = Buffer.from(`${"p".repeat(before)}${value}!tail`).toString("base64");
    return [standard, standard.replaceAll("+", "-").replaceAll("/", "_")];
  });
  return { text: [value, pythonJson, quote(false), quote(true)], base64 };
}

/** Nothing of the value in any printed form: no 12 characters of a text form, no 16 of the key's part of a base64 one. */
function expectRedacted(log: string, name: string, value: string): void {
  const { text, base64 } = printedForms(value);
  const lines = log.split("\n").filter((line) => line.startsWith(`${name} `));
  expect(lines).toHaveLength(6);
  for (const line of lines) expect(line).toContain(REDACTED);
  for (const form of text) for (let at = 0; at + 12 <= form.length; at++) expect(log).not.toContain(form.slice(at, at + 12));
  // The ends of a base64 token mix the key's first and last bytes with the text around it.
  for (const token of base64) for (let at = 8; at + 16 <= token.length - 16; at++) expect(log).not.toContain(token.slice(at, at + 16));
}

describe("every key variable's value is redacted, in every form the runner may print it", () => {
  const ANTHROPIC = "sk-ant-api03-Kx7Vb2Nm9Lp4Rt6Yh1Jc8Df5Gs0Az3Ue2Io9-AbCd";
  /** With the characters that JSON and URL encoders change. */
  const OPENAI = 'sk-proj-Wq3/Zr8+Tn5"Mv2 Lp9=Hx4ü-Jd7Rb1Kc6Yt0';
  const EXPORTED = "sk-llm-exported-Pq4Ws9Xe2Rd7Tf1Gy6";

  test("--provider openai with ANTHROPIC_API_KEY also set: both keys, and STIGMER_LLM_API_KEY; none in the supervisor's environment", async () => {
    const s = setup({ OPENAI_API_KEY: OPENAI, ANTHROPIC_API_KEY: ANTHROPIC, FIXTURE_SAY_ENCODED: "ANTHROPIC_API_KEY,OPENAI_API_KEY,STIGMER_LLM_API_KEY" });
    const started = runCli([...START, "--provider", "openai"], s.env);
    expect(started.stderr).toContain("Running in the background");
    await waitFor("the runner's lines", () => s.runnerLog().includes("Worker ready"));
    const log = s.runnerLog();
    expectRedacted(log, "ANTHROPIC_API_KEY", ANTHROPIC);
    expectRedacted(log, "OPENAI_API_KEY", OPENAI);
    expectRedacted(log, "STIGMER_LLM_API_KEY", OPENAI);
    const supervisorEnv = readFileSync(`/proc/${s.supervisorPid()}/environ`, "utf8");
    for (const key of [ANTHROPIC, OPENAI]) expect(supervisorEnv).not.toContain(key);
  });

  test("an exported STIGMER_LLM_API_KEY with --provider ollama, which resolves no key", async () => {
    const s = setup({ STIGMER_LLM_API_KEY: EXPORTED, FIXTURE_SAY_ENCODED: "STIGMER_LLM_API_KEY" });
    expect(runCli([...START, "--provider", "ollama"], s.env).code).toBe(0);
    await waitFor("the runner's lines", () => s.runnerLog().includes("Worker ready"));
    expectRedacted(s.runnerLog(), "STIGMER_LLM_API_KEY", EXPORTED);
    expect(readFileSync(`/proc/${s.supervisorPid()}/environ`, "utf8")).not.toContain(EXPORTED);
  });

  test("a variable named in the keyring (stigmer secrets list), when the key came from the keyring", async () => {
    const session = await startKeyringSession();
    try {
      const GROQ = "gsk-exported-Vb8Nm3Kx6Lp1Qw5Er9Ty2";
      for (const [name, value] of [["ANTHROPIC_API_KEY", ANTHROPIC], ["GROQ_API_KEY", "gsk-stored-Zx4Cv7Bn2Mq8"]] as const) {
        const stored = spawnSync(stigmerBin(), ["secrets", "set", name, "--stdin"], { env: session.env, input: `${value}\n`, encoding: "utf8" });
        expect(stored.status).toBe(0);
      }
      stopSupervisorAtEnd(session.stigmerHome);
      const env = { ...session.env, GROQ_API_KEY: GROQ, FIXTURE_SAY_ENCODED: "GROQ_API_KEY" };
      const started = runCli(START, env);
      expect(started.stderr).toContain("ANTHROPIC_API_KEY from keyring");
      const runnerLog = () => readFileSync(path.join(session.stigmerHome, "logs", "agent-runner.log"), "utf8");
      await waitFor("the runner's lines", () => runnerLog().includes("Worker ready"));
      expectRedacted(runnerLog(), "GROQ_API_KEY", GROQ);
    } finally {
      runCli(["local", "stop", "--timeout", "2s"], session.env);
      session.stop();
    }
  }, 60_000);
});

describe("the background supervisor", () => {
  const KEY = "sk-ant-core-Zq8Lm3Vx7Tn2Rb5Wk9Jd4";

  test("has core size 0 even under ulimit -c unlimited: SIGABRT leaves no core file", async () => {
    const s = setup({ ANTHROPIC_API_KEY: KEY });
    // Where a core would go: core_pattern "core" (or "core.%p"…) means the process's directory, which is this one.
    const work = tempDir("stigmer-core-");
    const started = spawnSync("sh", ["-c", 'ulimit -c unlimited && exec "$0" "$@"', stigmerBin(), ...START], { env: s.env, cwd: work, encoding: "utf8" });
    expect(started.stderr).toContain("Running in the background");
    const pid = s.supervisorPid();
    const runner = JSON.parse(readFileSync(path.join(s.home, "run", "supervisor.json"), "utf8")).groups["agent-runner"].pid;
    killGroupAtEnd(runner);
    const coreLimit = /^Max core file size\s+(\S+)\s+(\S+)/m.exec(readFileSync(`/proc/${pid}/limits`, "utf8"))!;
    expect(coreLimit[1]).toBe("0");

    process.kill(pid, "SIGABRT");
    await waitFor("the supervisor to die", () => !processAlive(pid));
    const pattern = readFileSync("/proc/sys/kernel/core_pattern", "utf8").trim();
    if (pattern.startsWith("|")) {
      // Cores go to a handler we cannot look into: the limit above is what this machine can show.
      console.warn(`core_pattern pipes to a handler (${pattern}): only the core size limit was checked`);
      return;
    }
    const directory = pattern.includes("/") ? path.dirname(pattern) : work;
    const prefix = path.basename(pattern).split("%")[0]!;
    const cores = readdirSync(directory).filter((file) => file.startsWith(prefix) && statSync(path.join(directory, file)).mtimeMs >= Date.now() - 60_000);
    expect(cores).toEqual([]);
  });

  test("runs without the user's BUN_INSPECT, BUN_INSPECT_*, BUN_OPTIONS and NODE_OPTIONS, and serves no debugger; the runner still gets them", async () => {
    const user = {
      // Port 0: the foreground start listens too (the user asked it to), on a port of its own.
      BUN_INSPECT: "ws://127.0.0.1:0/stigmer-test",
      BUN_INSPECT_NOTIFY: "unix:///tmp/stigmer-test-inspect-notify",
      BUN_OPTIONS: "--inspect=127.0.0.1:0",
      NODE_OPTIONS: "--inspect=127.0.0.1:0",
    };
    const s = setup({ ANTHROPIC_API_KEY: KEY, FIXTURE_MODE: "env", ...user });
    const envOut = path.join(tempDir("stigmer-inspect-"), "env.json");
    s.env.FIXTURE_ENV_OUT = envOut;
    expect(runCli(START, s.env).stderr).toContain("Running in the background");
    const pid = s.supervisorPid();
    const supervisorEnv = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
    expect(supervisorEnv.filter((entry) => /^(BUN_INSPECT|NODE_OPTIONS)/.test(entry))).toEqual([]);
    expect(supervisorEnv.filter((entry) => entry.startsWith("BUN_OPTIONS="))).toEqual(["BUN_OPTIONS=--smol"]);
    expect(listeningTcpPorts(pid)).toEqual([]);
    await waitFor("the runner's environment", () => existsSync(envOut) && statSync(envOut).size > 0);
    expect(JSON.parse(readFileSync(envOut, "utf8"))).toMatchObject(user);
  });
});

/** The TCP ports a process listens on: its sockets' inodes, looked up in /proc/net/tcp and tcp6. */
function listeningTcpPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
      if (inode) inodes.add(inode);
    } catch {
      // Closed while we looked.
    }
  }
  const ports: number[] = [];
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of readFileSync(table, "utf8").split("\n").slice(1)) {
      // local_address (hex ip:port), st (0A: LISTEN), inode.
      const fields = line.trim().split(/\s+/);
      if (fields[3] === "0A" && inodes.has(fields[9]!)) ports.push(parseInt(fields[1]!.split(":")[1]!, 16));
    }
  }
  return ports;
}

describe("executables are never found in the current directory", () => {
  test("only absolute PATH entries are searched: not empty, \".\" or relative ones; quotes are removed (Windows)", () => {
    expect(searchDirectories(".:/usr/bin::bin:/opt/py/bin:", "posix")).toEqual(["/usr/bin", "/opt/py/bin"]);
    expect(searchDirectories('.;;C:\\Windows;"C:\\Program Files\\Python312";tools\\bin;C:relative', "windows")).toEqual([
      "C:\\Windows",
      "C:\\Program Files\\Python312",
    ]);
  });

  test("Windows: python is looked for as a full path in each absolute entry, so which never adds the current directory", () => {
    const asked: string[] = [];
    const present = new Set(["C:\\Users\\me\\work\\python.exe", "C:\\Program Files\\Python312\\python.exe"]);
    const executableAt = (file: string) => {
      asked.push(file);
      return [".exe", ".cmd"].map((ext) => file + ext).find((candidate) => present.has(candidate)) ?? null;
    };
    const found = lookUpOnPath("python", { path: '.;;work;"C:\\Program Files\\Python312";C:\\Windows', family: "windows", executableAt });
    expect(found).toBe("C:\\Program Files\\Python312\\python.exe");
    expect(asked).toEqual(["C:\\Program Files\\Python312\\python"]);
    expect(lookUpOnPath("python", { path: ".;work", family: "windows", executableAt })).toBeNull();
  });

  test("a python3 in the working directory, with \".\" and an empty entry on PATH, is not run", () => {
    const hostile = tempDir("stigmer-hostile-python-");
    const marker = path.join(hostile, "ran");
    for (const name of ["python3", "python"]) {
      writeFileSync(path.join(hostile, name), `#!/bin/sh\necho ran > ${JSON.stringify(marker)}\necho 3.99.0\n`);
      chmodSync(path.join(hostile, name), 0o755);
    }
    const env = cleanEnv({ STIGMER_HOME: tempDir(), PATH: `.::${process.env.PATH}` });
    const doctor = spawnSync(stigmerBin(), ["doctor", "--json", "--runner", FIXTURE_RUNNER], { env, cwd: hostile, encoding: "utf8", timeout: 30_000 });
    const python = JSON.parse(doctor.stdout).checks.find((check: { check: string }) => check.check === "python");
    expect(python.detail).not.toContain("3.99.0");
    expect(existsSync(marker)).toBe(false);
  });
});

describe("the Python probe", () => {
  test("a --python that forks leaves nothing behind: the probe's whole process group is ended", async () => {
    const dir = tempDir("stigmer-forking-python-");
    const script = path.join(dir, "python");
    const pids = path.join(dir, "pids");
    // The fork lets go of the output, as a daemon does: the probe returns at once, and the fork would live on.
    writeFileSync(
      script,
      `#!/bin/sh\nsleep 300 >/dev/null 2>&1 &\necho $! >> ${JSON.stringify(pids)}\necho 3.12.1\n`,
    );
    chmodSync(script, 0o755);
    const env = cleanEnv({ STIGMER_HOME: tempDir() });
    const doctor = spawnSync(stigmerBin(), ["doctor", "--json", "--python", script, "--runner", FIXTURE_RUNNER], { env, encoding: "utf8", timeout: 30_000 });
    expect(JSON.parse(doctor.stdout).checks.find((check: { check: string }) => check.check === "python").detail).toContain("3.12.1");
    const forked = readFileSync(pids, "utf8").trim().split("\n").map(Number);
    expect(forked.length).toBeGreaterThan(0);
    for (const pid of forked) killAtEnd(pid);
    for (const pid of forked) await waitFor(`the fork ${pid} to be gone`, () => !processAlive(pid), 5_000);
  });
});
