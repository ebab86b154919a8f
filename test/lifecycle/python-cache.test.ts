// `start` asks the runner's Python as little as it can: a version already known for the very same
// interpreter file comes from $STIGMER_HOME/python-versions.json; the Python probe, Temporal and the
// daemon are asked at the same time; problems are still reported one at a time, in the same order.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { appendFileSync, chmodSync, chownSync, existsSync, mkdirSync, readFileSync, realpathSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { cleanEnv, cleanupAll, FIXTURE_RUNNER, freePort, runCli, spawnDevDaemon, tempDir, type DaemonProcess } from "../helpers.ts";

afterEach(cleanupAll);

let daemon: DaemonProcess;
beforeAll(async () => {
  daemon = await spawnDevDaemon();
});
afterAll(() => daemon.stop());

const KEY = "sk-ant-python-cache-0123456789abcdef";
const isRoot = process.getuid?.() === 0;
const REAL_VERSION = spawnSync("python3", ["-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"], { encoding: "utf8" }).stdout.trim();
const REAL_PYTHON = spawnSync("python3", ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" }).stdout.trim();

interface CacheFile {
  format: string;
  entries: { path: string; size: string; mtimeNs: string; version: string }[];
}

/** A home, and a virtual environment whose python3 is a copy of the interpreter (so a test may touch it). */
function setup(extra: Record<string, string | undefined> = {}) {
  const home = tempDir();
  const work = tempDir("stigmer-work-");
  const venv = path.join(work, "venv");
  const made = spawnSync("python3", ["-m", "venv", "--copies", "--without-pip", venv], { encoding: "utf8" });
  if (made.status !== 0) throw new Error(`python3 -m venv --copies failed: ${made.stderr}`);
  const python = path.join(venv, "bin", "python3");
  const starts = path.join(work, "starts");
  const env = cleanEnv({
    STIGMER_HOME: home,
    ANTHROPIC_API_KEY: KEY,
    STIGMER_BACKEND_ENDPOINT: daemon.endpoint,
    TEMPORAL_SERVICE_ADDRESS: daemon.endpoint,
    FIXTURE_MODE: "exit",
    FIXTURE_EXIT: "0",
    FIXTURE_STARTS: starts,
    ...extra,
  });
  const cacheFile = path.join(home, "python-versions.json");
  const start = (interpreter = python, runner = FIXTURE_RUNNER, ...args: string[]) => runCli(["local", "start", "--runner", runner, "--python", interpreter, ...args], env);
  const cache = (): CacheFile => JSON.parse(readFileSync(cacheFile, "utf8"));
  /** Rewrites the entry of `python` to claim another version: only a start that takes it from the cache says it. */
  const plant = (version: string) => {
    const current = cache();
    for (const entry of current.entries) entry.version = version;
    writeFileSync(cacheFile, JSON.stringify(current));
  };
  const runs = () => (existsSync(starts) ? readFileSync(starts, "utf8").trim().split("\n").filter(Boolean).length : 0);
  return { home, work, python, env, cacheFile, start, cache, plant, runs };
}

/** A `--python` that is a script: it logs each run (its first argument, how many, and the last one after -c), then runs the interpreter. */
function writeWrapper(wrapper: string, calls: string, python: string): void {
  writeFileSync(wrapper, `#!/bin/sh\nfor last; do :; done\ncase "$1" in -c) echo "$1 $# $last" ;; *) echo "$1 $#" ;; esac >> '${calls}'\nexec '${python}' "$@"\n`, { mode: 0o755 });
}

describe("the Python version cache", () => {
  test("the first start writes it (0600, the interpreter's real path); the next takes the version from it and runs no Python before the runner", () => {
    const s = setup();
    const first = s.start();
    expect(first.code).toBe(0);
    expect(first.stderr).toContain(`with Python ${REAL_VERSION} (${s.python}, from --python)`);
    expect(statSync(s.cacheFile).mode & 0o777).toBe(0o600);
    expect(s.cache()).toMatchObject({ format: "stigmer-python-versions/1", entries: [{ path: realpathSync(s.python), version: REAL_VERSION }] });

    // A probe would say the real version: a start that says the planted one asked no Python.
    s.plant("3.99.0");
    const second = s.start();
    expect(second.code).toBe(0);
    expect(second.stderr).toContain(`with Python 3.99.0 (${s.python}, from --python)`);
    expect(s.runs()).toBe(2);
    expect(s.cache().entries[0]!.version).toBe("3.99.0");

    // doctor asks the interpreter itself, every time.
    const doctor = JSON.parse(runCli(["doctor", "--json", "--runner", FIXTURE_RUNNER, "--python", s.python], s.env).stdout);
    expect(doctor.checks.find((check: { check: string }) => check.check === "python").detail).toStartWith(`Python ${REAL_VERSION} `);
  });

  test("a changed interpreter is asked again: a new modification time, then a new size", () => {
    const s = setup();
    expect(s.start().code).toBe(0);
    s.plant("3.99.0");
    const before = s.cache().entries[0]!;
    utimesSync(s.python, new Date(), new Date(Date.now() + 60_000));
    const touched = s.start();
    expect(touched.code).toBe(0);
    expect(touched.stderr).toContain(`with Python ${REAL_VERSION} (`);
    const afterTouch = s.cache().entries[0]!;
    expect(afterTouch).toMatchObject({ path: before.path, size: before.size, version: REAL_VERSION });
    expect(afterTouch.mtimeNs).not.toBe(before.mtimeNs);

    s.plant("3.99.0");
    appendFileSync(s.python, "\0");
    const grown = s.start();
    expect(grown.code).toBe(0);
    expect(grown.stderr).toContain(`with Python ${REAL_VERSION} (`);
    expect(s.cache().entries[0]).toMatchObject({ size: String(Number(before.size) + 1), version: REAL_VERSION });
  });

  test("a corrupt cache, or one of another format, is ignored and written anew", () => {
    const s = setup();
    expect(s.start().code).toBe(0);
    const good = s.cache();

    writeFileSync(s.cacheFile, "{not json", { mode: 0o600 });
    const corrupt = s.start();
    expect(corrupt.code).toBe(0);
    expect(corrupt.stderr).toContain(`with Python ${REAL_VERSION} (`);
    expect(s.cache()).toEqual(good);

    // The same entry claiming another version, under a format this stigmer does not know: not trusted.
    writeFileSync(s.cacheFile, JSON.stringify({ format: "stigmer-python-versions/0", entries: good.entries.map((entry) => ({ ...entry, version: "3.99.0" })) }));
    const foreign = s.start();
    expect(foreign.code).toBe(0);
    expect(foreign.stderr).toContain(`with Python ${REAL_VERSION} (`);
    expect(s.cache()).toEqual(good);
  });

  test("a cache that is a symbolic link is refused by name, as every file under STIGMER_HOME; its target is neither read nor written", () => {
    const s = setup();
    mkdirSync(s.home, { recursive: true, mode: 0o700 });
    const victim = path.join(s.work, "victim");
    writeFileSync(victim, "not stigmer's\n", { mode: 0o644 });
    symlinkSync(victim, s.cacheFile);
    const refused = s.start();
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${s.cacheFile} is a symbolic link; stigmer does not follow links under STIGMER_HOME.`);
    expect(refused.stderr).toContain(`rm ${s.cacheFile}`);
    expect(s.runs()).toBe(0);
    expect(readFileSync(victim, "utf8")).toBe("not stigmer's\n");
    expect(statSync(victim).mode & 0o777).toBe(0o644);
    const doctor = JSON.parse(runCli(["doctor", "--json", "--runner", FIXTURE_RUNNER, "--python", s.python], s.env).stdout);
    expect(doctor.checks.find((check: { check: string }) => check.check === "home")).toMatchObject({ verdict: "fail", detail: `${s.cacheFile} is a symbolic link; stigmer does not follow links under STIGMER_HOME.` });
  });

  test.skipIf(!isRoot)("a cache of another user is refused by name", () => {
    const s = setup();
    expect(s.start().code).toBe(0);
    chownSync(s.cacheFile, 65534, 65534);
    const refused = s.start();
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${s.cacheFile} belongs to another user (uid 65534); stigmer will not use it.`);
    expect(s.runs()).toBe(1);
  });

  test("an interpreter named by a symbolic link (as a plain venv's python3 is) is cached under the file it resolves to, and found there through the link", () => {
    const s = setup();
    const link = path.join(s.work, "python3-link");
    symlinkSync(s.python, link);
    // Its sys.executable is the link itself: only resolved does it match the file run.
    expect(spawnSync(link, ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" }).stdout.trim()).toBe(link);
    expect(s.start(link).code).toBe(0);
    expect(s.cache().entries).toMatchObject([{ path: realpathSync(s.python), version: REAL_VERSION }]);
    s.plant("3.99.0");
    const second = s.start(link);
    expect(second.code).toBe(0);
    expect(second.stderr).toContain(`with Python 3.99.0 (${link}, from --python)`);
  });

  test("a wrapper script (a shim may pick another Python tomorrow) is asked every time and never cached", () => {
    const s = setup();
    const calls = path.join(s.work, "wrapper-calls");
    const wrapper = path.join(s.work, "python-wrapper");
    writeWrapper(wrapper, calls, s.python);
    for (let i = 0; i < 2; i++) expect(s.start(wrapper).code).toBe(0);
    const lines = readFileSync(calls, "utf8").trim().split("\n");
    expect(lines.filter((line) => line === "-S 3")).toHaveLength(2);
    expect(lines.filter((line) => line === `${FIXTURE_RUNNER} 1`)).toHaveLength(2);
    expect(lines).toHaveLength(4);
    expect(existsSync(s.cacheFile)).toBe(false);
  });

  test("with a pyproject.toml, one process answers both the version and the packages", () => {
    const s = setup();
    const calls = path.join(s.work, "wrapper-calls");
    const wrapper = path.join(s.work, "python-wrapper");
    writeWrapper(wrapper, calls, s.python);
    const runner = path.join(s.work, "agent-runner");
    mkdirSync(runner);
    writeFileSync(path.join(runner, "main.py"), readFileSync(FIXTURE_RUNNER));
    writeFileSync(path.join(runner, "pyproject.toml"), `[project]\nname = "agent-runner"\nversion = "0.1.0"\ndependencies = ["stigmer-fixture-absent>=1"]\n`);
    const refused = s.start(wrapper, runner);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${wrapper} lacks a package the runner needs (${runner}/pyproject.toml): stigmer-fixture-absent.`);
    const lines = readFileSync(calls, "utf8").trim().split("\n");
    expect(lines).toEqual(['-c 3 ["stigmer-fixture-absent"]']);
  });
});

describe("checks made at the same time, problems reported in the same order", () => {
  /** Nothing answers for Temporal (--temporal off) nor for the daemon: the first problem is still the one reported. */
  async function nothingAnswers(extra: Record<string, string | undefined> = {}) {
    const closed = `127.0.0.1:${await freePort()}`;
    const s = setup({ TEMPORAL_SERVICE_ADDRESS: closed, STIGMER_BACKEND_ENDPOINT: closed, ...extra });
    return { ...s, closed, startQuick: (python: string, runner = FIXTURE_RUNNER) => s.start(python, runner, "--temporal", "off", "--daemon-timeout", "1s") };
  }

  function expectOnly(result: { code: number | null; stderr: string }, message: string) {
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(message);
    expect(result.stderr).not.toContain("waiting for");
    expect(result.stderr).not.toContain("did not answer");
  }

  test("the Python first: none found, not a Python, too old", async () => {
    const s = await nothingAnswers();
    expectOnly(s.startQuick("/nope/python3"), "No Python found. Tried:\n  - /nope/python3 (--python)");
    expectOnly(s.startQuick("/bin/true"), "/bin/true did not run as Python");
    const old = path.join(s.work, "python-old");
    writeFileSync(old, "#!/bin/sh\necho 3.9.18\n");
    chmodSync(old, 0o755);
    expectOnly(s.startQuick(old), "is Python 3.9.18; the Agent Runner needs 3.11 or newer");
    expect(s.runs()).toBe(0);
  });

  test("then its packages, then the key", async () => {
    const s = await nothingAnswers({ ANTHROPIC_API_KEY: undefined });
    const runner = path.join(s.work, "agent-runner");
    mkdirSync(runner);
    writeFileSync(path.join(runner, "main.py"), readFileSync(FIXTURE_RUNNER));
    writeFileSync(path.join(runner, "pyproject.toml"), `[project]\nname = "agent-runner"\nversion = "0.1.0"\ndependencies = ["stigmer-fixture-absent"]\n`);
    expectOnly(s.startQuick(s.python, runner), "lacks a package the runner needs");
    expectOnly(s.startQuick(s.python), "ANTHROPIC_API_KEY is not set, and there is no terminal to ask for it.");
    expect(s.runs()).toBe(0);
  });

  test("then Temporal (--temporal off), then the daemon, each after the plan is shown", async () => {
    const s = await nothingAnswers();
    const temporal = s.startQuick(REAL_PYTHON);
    expect(temporal.code).toBe(1);
    expect(temporal.stderr).toContain(`Temporal at ${s.closed} did not answer within 1s: connection refused.`);
    expect(temporal.stderr).not.toContain("The Stigmer daemon");
    expect(temporal.stderr.indexOf("▸ runner")).toBeLessThan(temporal.stderr.indexOf("waiting for Temporal"));

    const daemonOnly = runCli(["local", "start", "--runner", FIXTURE_RUNNER, "--python", REAL_PYTHON, "--temporal", "off", "--daemon-timeout", "1s"], { ...s.env, TEMPORAL_SERVICE_ADDRESS: daemon.endpoint });
    expect(daemonOnly.code).toBe(1);
    expect(daemonOnly.stderr).toContain(`temporal  ${daemon.endpoint} serving`);
    expect(daemonOnly.stderr).toContain(`The Stigmer daemon at ${s.closed} did not answer within 1s: connection refused.`);
    expect(s.runs()).toBe(0);
  });
});
