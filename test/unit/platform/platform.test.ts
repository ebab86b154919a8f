import { describe, expect, test } from "bun:test";
import { StigmerError } from "../../../src/cli/errors.ts";
import { pathPythonCommands, stigmerHome, venvPythonCandidates } from "../../../src/platform/files/paths.ts";
import { choosePython, isSupportedPython, parsePythonVersion } from "../../../src/platform/python/python.ts";
import { parseProcStat, readProcStat } from "../../../src/platform/process/proc.ts";
import { resolveRunner } from "../../../src/platform/python/runner.ts";

describe("venvPythonCandidates", () => {
  test("macOS and Linux: bin/python3 then bin/python, .venv before venv", () => {
    expect(venvPythonCandidates("/srv/runner", "posix")).toEqual([
      "/srv/runner/.venv/bin/python3",
      "/srv/runner/.venv/bin/python",
      "/srv/runner/venv/bin/python3",
      "/srv/runner/venv/bin/python",
    ]);
  });

  test("Windows: Scripts\\python.exe", () => {
    expect(venvPythonCandidates("C:\\runner", "windows")).toEqual([
      "C:\\runner\\.venv\\Scripts\\python.exe",
      "C:\\runner\\venv\\Scripts\\python.exe",
    ]);
  });

  test("py -3 is looked for on Windows only", () => {
    expect(pathPythonCommands("posix").map((c) => c.command)).toEqual(["python3", "python"]);
    expect(pathPythonCommands("windows")).toContainEqual({ command: "py", args: ["-3"] });
  });
});

describe("stigmerHome", () => {
  test("STIGMER_HOME wins, made absolute; else ~/.stigmer", () => {
    expect(stigmerHome({ STIGMER_HOME: "/tmp/s" }, "/home/u")).toBe("/tmp/s");
    expect(stigmerHome({}, "/home/u")).toBe("/home/u/.stigmer");
    expect(stigmerHome({ STIGMER_HOME: "  " }, "/home/u")).toBe("/home/u/.stigmer");
  });
});

describe("choosePython", () => {
  const files = (...present: string[]) => (file: string) => present.includes(file);
  const path = (found: Record<string, string>) => (command: string) => found[command] ?? null;

  test("the explicit interpreter is the only one tried", () => {
    expect(choosePython({ explicit: "/opt/py/bin/python3", runnerDir: "/r", family: "posix", isFile: files("/opt/py/bin/python3", "/r/.venv/bin/python3"), onPath: path({}) })).toEqual({
      chosen: { command: "/opt/py/bin/python3", args: [], source: "--python" },
      tried: ["/opt/py/bin/python3 (--python)"],
    });
    expect(
      choosePython({ explicit: "python3.12", explicitSource: "STIGMER_PYTHON", family: "posix", isFile: files(), onPath: path({ "python3.12": "/usr/bin/python3.12" }) }).chosen,
    ).toEqual({ command: "/usr/bin/python3.12", args: [], source: "STIGMER_PYTHON" });
  });

  test("an explicit interpreter that is missing is not replaced by another", () => {
    const { chosen, tried } = choosePython({ explicit: "./nope/python", cwd: "/w", family: "posix", isFile: files(), onPath: path({ python3: "/usr/bin/python3" }) });
    expect(chosen).toBeNull();
    expect(tried).toEqual(["/w/nope/python (--python)"]);
  });

  test("a venv in the runner's directory beats PATH", () => {
    const { chosen } = choosePython({ runnerDir: "/r", family: "posix", isFile: files("/r/venv/bin/python"), onPath: path({ python3: "/usr/bin/python3" }) });
    expect(chosen).toEqual({ command: "/r/venv/bin/python", args: [], source: "venv" });
  });

  test("Windows venv layout is found", () => {
    const { chosen } = choosePython({ runnerDir: "C:\\r", family: "windows", isFile: files("C:\\r\\.venv\\Scripts\\python.exe"), onPath: path({}) });
    expect(chosen?.command).toBe("C:\\r\\.venv\\Scripts\\python.exe");
  });

  test("PATH: python3, then python, then py -3 on Windows", () => {
    expect(choosePython({ runnerDir: "/r", family: "posix", isFile: files(), onPath: path({ python: "/usr/bin/python" }) }).chosen).toEqual({
      command: "/usr/bin/python",
      args: [],
      source: "PATH",
    });
    expect(choosePython({ runnerDir: "C:\\r", family: "windows", isFile: files(), onPath: path({ py: "C:\\Windows\\py.exe" }) }).chosen).toEqual({
      command: "C:\\Windows\\py.exe",
      args: ["-3"],
      source: "PATH",
    });
  });

  test("nothing found: every place tried is listed, in order", () => {
    const { chosen, tried } = choosePython({ virtualEnv: "/ve", runnerDir: "/r", poetryEnv: () => null, family: "posix", isFile: files(), onPath: path({}) });
    expect(chosen).toBeNull();
    expect(tried).toEqual([
      "/ve/bin/python3 (VIRTUAL_ENV)",
      "/ve/bin/python (VIRTUAL_ENV)",
      "/r/.venv/bin/python3 (venv)",
      "/r/.venv/bin/python (venv)",
      "/r/venv/bin/python3 (venv)",
      "/r/venv/bin/python (venv)",
      "Poetry's environment (none for this runner, or no poetry on PATH)",
      "python3 on PATH",
      "python on PATH",
    ]);
  });

  test("the order: given > VIRTUAL_ENV > the runner's .venv > Poetry's environment > PATH; Poetry is asked only when needed", () => {
    let poetryAsked = 0;
    const poetryEnv = () => {
      poetryAsked += 1;
      return "/cache/pypoetry/virtualenvs/agent-runner-x-py3.11";
    };
    const all = files("/ve/bin/python3", "/r/.venv/bin/python3", "/cache/pypoetry/virtualenvs/agent-runner-x-py3.11/bin/python");
    const onPath = path({ python3: "/usr/bin/python3" });
    const choose = (lookup: Partial<Parameters<typeof choosePython>[0]>, present = all) =>
      choosePython({ runnerDir: "/r", poetryEnv, family: "posix", isFile: present, onPath, ...lookup }).chosen;
    expect(choose({ explicit: "/opt/python3", explicitSource: "config.toml" }, files("/opt/python3"))).toMatchObject({ command: "/opt/python3", source: "config.toml" });
    expect(choose({ virtualEnv: "/ve" })).toMatchObject({ command: "/ve/bin/python3", source: "VIRTUAL_ENV" });
    expect(choose({})).toMatchObject({ command: "/r/.venv/bin/python3", source: "venv" });
    expect(poetryAsked).toBe(0);
    expect(choose({}, files("/cache/pypoetry/virtualenvs/agent-runner-x-py3.11/bin/python"))).toMatchObject({
      command: "/cache/pypoetry/virtualenvs/agent-runner-x-py3.11/bin/python",
      source: "poetry",
    });
    expect(poetryAsked).toBe(1);
    expect(choose({ poetryEnv: () => null }, files())).toMatchObject({ command: "/usr/bin/python3", source: "PATH" });
  });
});

describe("python versions", () => {
  test("parse and compare against 3.11", () => {
    expect(parsePythonVersion("3.11.7\n")).toEqual([3, 11, 7]);
    expect(parsePythonVersion("Python 3.11")).toBeNull();
    expect(isSupportedPython([3, 11, 0])).toBe(true);
    expect(isSupportedPython([3, 13, 1])).toBe(true);
    expect(isSupportedPython([4, 0, 0])).toBe(true);
    expect(isSupportedPython([3, 10, 14])).toBe(false);
    expect(isSupportedPython([2, 7, 18])).toBe(false);
  });
});

describe("resolveRunner", () => {
  const disk = (entries: Record<string, "file" | "directory" | "executable">) => ({
    kind: (file: string) => (entries[file] === undefined ? "missing" : entries[file] === "directory" ? "directory" : "file") as "file" | "directory" | "missing",
    executable: (file: string) => entries[file] === "executable",
  });

  function failure(run: () => unknown): StigmerError {
    try {
      run();
    } catch (error) {
      expect(error).toBeInstanceOf(StigmerError);
      return error as StigmerError;
    }
    throw new Error("expected an error");
  }

  test("a directory with main.py runs main.py in that directory", () => {
    expect(resolveRunner("runner", "/w", disk({ "/w/runner": "directory", "/w/runner/main.py": "file" }), "posix")).toEqual({
      kind: "python-script",
      script: "/w/runner/main.py",
      dir: "/w/runner",
    });
  });

  test("a .py file runs in its own directory", () => {
    expect(resolveRunner("/srv/agent/run.py", "/w", disk({ "/srv/agent/run.py": "file" }), "posix")).toEqual({
      kind: "python-script",
      script: "/srv/agent/run.py",
      dir: "/srv/agent",
    });
  });

  test("an executable runs as it is", () => {
    expect(resolveRunner("/opt/agent-runner", "/w", disk({ "/opt/agent-runner": "executable" }), "posix")).toEqual({
      kind: "executable",
      executable: "/opt/agent-runner",
      dir: "/opt",
    });
    expect(resolveRunner("C:\\agent\\runner.exe", "C:\\", disk({ "C:\\agent\\runner.exe": "file" }), "windows")).toMatchObject({
      kind: "executable",
      dir: "C:\\agent",
    });
  });

  test("each failure says what was tried and how to fix it", () => {
    expect(failure(() => resolveRunner(undefined, "/w", disk({}), "posix")).fix).toContain("STIGMER_AGENT_RUNNER");
    expect(failure(() => resolveRunner("nope", "/w", disk({}), "posix")).message).toContain("/w/nope does not exist");
    const noMain = failure(() => resolveRunner("/r", "/w", disk({ "/r": "directory" }), "posix"));
    expect(noMain.message).toContain("/r/main.py");
    const notExecutable = failure(() => resolveRunner("/r/run.sh", "/w", disk({ "/r/run.sh": "file" }), "posix"));
    expect(notExecutable.fix).toContain("chmod +x /r/run.sh");
  });
});

describe("parseProcStat", () => {
  test("reads state, parent, group and start time, whatever the command name holds", () => {
    const text = "4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10 18446744073709551615";
    expect(parseProcStat(4242, text)).toEqual({ pid: 4242, state: "S", ppid: 1, pgrp: 4242, startTime: 987654 });
  });

  test("the running test process reads as itself", () => {
    const stat = readProcStat(process.pid);
    expect(stat?.pid).toBe(process.pid);
    expect(stat?.ppid).toBe(process.ppid);
    expect(stat?.startTime).toBeGreaterThan(0);
  });

  test("garbage is null", () => {
    expect(parseProcStat(1, "")).toBeNull();
    expect(parseProcStat(1, "1 (x) S 1")).toBeNull();
  });
});
