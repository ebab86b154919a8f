// The runner as its developers installed it: VIRTUAL_ENV, Poetry's environment, and the
// distributions its pyproject.toml names, checked in the chosen Python before it starts.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { cleanEnv, cleanupAll, FIXTURE_RUNNER, runCli, spawnDevDaemon, stopSupervisorAtEnd, tempDir, type DaemonProcess } from "../helpers.ts";

afterEach(cleanupAll);

let daemon: DaemonProcess;
/** Two real virtual environments, made once: Poetry's (in its cache) and an activated one. */
let scratch = "";
let poetryVenv = "";
let activeVenv = "";
beforeAll(async () => {
  daemon = await spawnDevDaemon();
  scratch = mkdtempSync(path.join(tmpdir(), "stigmer-venvs-"));
  poetryVenv = path.join(scratch, "pypoetry", "virtualenvs", "agent-runner-Xy12-py3.11");
  activeVenv = path.join(scratch, "active");
  // Poetry's gets pip and setuptools, to install into it offline; the other needs neither.
  for (const [venv, args] of [[poetryVenv, []], [activeVenv, ["--without-pip"]]] as const) {
    const made = spawnSync("python3", ["-m", "venv", ...args, venv], { encoding: "utf8" });
    if (made.status !== 0) throw new Error(`python3 -m venv failed: ${made.stderr}`);
  }
});
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
  return daemon.stop();
});

/** A Poetry project holding the fixture runner, a stand-in `poetry` on PATH answering `env info --path` with the venv. */
function setup(dependencies: string[], extra: Record<string, string> = {}) {
  const work = tempDir("stigmer-work-");
  const runner = path.join(work, "agent-runner");
  mkdirSync(runner);
  copyFileSync(FIXTURE_RUNNER, path.join(runner, "main.py"));
  const deps = dependencies.map((name) => `${name} = "*"`).join("\n");
  writeFileSync(path.join(runner, "pyproject.toml"), `[tool.poetry]\nname = "agent-runner"\nversion = "0.1.0"\n\n[tool.poetry.dependencies]\npython = "^3.11"\n${deps}\n`);
  const bin = path.join(work, "bin");
  mkdirSync(bin);
  const calls = path.join(work, "poetry-calls");
  writeFileSync(
    path.join(bin, "poetry"),
    `#!/bin/sh\necho "$PWD $*" >> '${calls}'\n[ "$1 $2 $3" = "env info --path" ] && { echo '${poetryVenv}'; exit 0; }\nexit 1\n`,
    { mode: 0o755 },
  );
  const home = tempDir();
  stopSupervisorAtEnd(home);
  const env = cleanEnv({
    STIGMER_HOME: home,
    ANTHROPIC_API_KEY: "sk-ant-runner-project-123456",
    STIGMER_BACKEND_ENDPOINT: daemon.endpoint,
    TEMPORAL_SERVICE_ADDRESS: daemon.endpoint,
    PATH: `${bin}:${process.env.PATH}`,
    ...extra,
  });
  const cli = (...args: string[]) => runCli(args, env);
  const doctor = () => JSON.parse(cli("doctor", "--json", "--runner", runner).stdout).checks as { check: string; verdict: string; detail: string; fix: string | null }[];
  return { runner, env, cli, doctor, calls };
}

/** A minimal local package, installed into a venv with no index (setup.py: the venv has setuptools but no wheel). */
function installLocalPackage(venv: string, name: string): void {
  const pkg = tempDir("stigmer-pkg-");
  mkdirSync(path.join(pkg, "fixdep"));
  writeFileSync(path.join(pkg, "fixdep", "__init__.py"), "");
  writeFileSync(path.join(pkg, "setup.py"), `from setuptools import setup\nsetup(name="${name}", version="1.0", packages=["fixdep"])\n`);
  const installed = spawnSync(path.join(venv, "bin", "python"), ["setup.py", "-q", "install"], { cwd: pkg, encoding: "utf8" });
  if (installed.status !== 0) throw new Error(`installing ${name} failed: ${installed.stderr}`);
}

describe("the runner's Python and its dependencies", () => {
  test("Poetry's environment is found; a distribution it lacks fails doctor and start with the fix; installed, both pass", () => {
    const s = setup(["stigmer-fixture-dep"]);
    const before = s.doctor();
    const python = before.find((check) => check.check === "python")!;
    expect(python.detail).toContain(`${poetryVenv}/bin/python3, from poetry`);
    expect(before.find((check) => check.check === "dependencies")).toMatchObject({ verdict: "fail", detail: "missing: stigmer-fixture-dep" });
    expect(before.find((check) => check.check === "dependencies")!.fix).toContain(`cd ${s.runner} && poetry install`);
    const refused = s.cli("local", "start", "-d", "--runner", s.runner);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("lacks a package the runner needs");
    expect(refused.stderr).toContain("stigmer-fixture-dep");
    expect(refused.stderr).toContain(`cd ${s.runner} && poetry install`);

    installLocalPackage(poetryVenv, "stigmer-fixture-dep");
    expect(s.doctor().find((check) => check.check === "dependencies")).toMatchObject({ verdict: "pass" });
    const started = s.cli("local", "start", "-d", "--runner", s.runner);
    expect(started.code).toBe(0);
    expect(started.stderr).toContain("from poetry");
    const status = JSON.parse(s.cli("local", "status", "--json").stdout);
    expect(status.runner.command[0]).toBe(`${poetryVenv}/bin/python3`);
    // Poetry was asked in the runner's directory, and only to look.
    expect(readFileSync(s.calls, "utf8").trim().split("\n")).toContain(`${s.runner} env info --path`);
    expect(s.cli("local", "stop").code).toBe(0);
  });

  test("an active VIRTUAL_ENV wins over Poetry; --python wins over both; a runner without pyproject.toml is not checked", () => {
    const s = setup([], { VIRTUAL_ENV: activeVenv });
    const python = s.doctor().find((check) => check.check === "python")!;
    expect(python.detail).toContain(`${activeVenv}/bin/python3, from VIRTUAL_ENV`);
    const explicit = runCli(["doctor", "--json", "--runner", s.runner, "--python", `${poetryVenv}/bin/python3`], s.env);
    expect(JSON.parse(explicit.stdout).checks.find((check: { check: string }) => check.check === "python").detail).toContain("from --python");
    const plain = runCli(["doctor", "--json", "--runner", FIXTURE_RUNNER], s.env);
    expect(JSON.parse(plain.stdout).checks.find((check: { check: string }) => check.check === "dependencies").detail).toContain("not checked");
  });
});
