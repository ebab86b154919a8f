// The pure rules around the runner's Python: what a probe answered, whether a cached version still
// holds, what may be cached, which problem is reported, and when Poetry is asked.
import { describe, expect, test } from "bun:test";
import {
  CACHE_ENTRIES,
  cachedVersion,
  isCacheable,
  parseVersionCache,
  renderVersionCache,
  withEntry,
  type CachedVersion,
  type InterpreterIdentity,
} from "../../../src/platform/python/python-cache.ts";
import { findPython, parsePythonAnswer, pythonProblem } from "../../../src/platform/python/python.ts";
import { dependencyCheck, dependencyProblem, type DeclaredDependencies } from "../../../src/platform/python/runner-project.ts";
import { lookStillOpens, unmanagedTargets } from "../../../src/lifecycle/start/service-gate.ts";
import { resolveStartOptions } from "../../../src/lifecycle/start/start-options.ts";
import { TEMPORAL_HEALTH_SERVICE } from "../../../src/daemon/check.ts";

const identity: InterpreterIdentity = {
  path: "/usr/bin/python3.12",
  dev: "2049",
  ino: "1234567",
  size: "6831736",
  mtimeNs: "1714300000123456789",
  ctimeNs: "1714300000123456789",
};
const entry: CachedVersion = { ...identity, version: "3.12.4" };

describe("the version cache's validity rule", () => {
  test("the very same file, unchanged, gives its version", () => {
    expect(cachedVersion([entry], identity)).toBe("3.12.4");
  });

  test.each(["path", "dev", "ino", "size", "mtimeNs", "ctimeNs"] as const)("a different %s is another file: no version", (field) => {
    expect(cachedVersion([entry], { ...identity, [field]: `${identity[field]}0` })).toBeNull();
  });

  test("nothing cached, or a version that is not X.Y.Z, gives nothing", () => {
    expect(cachedVersion([], identity)).toBeNull();
    expect(cachedVersion([{ ...entry, version: "3.12.4; rm -rf ~" }], identity)).toBeNull();
  });
});

describe("the cache file's text", () => {
  test("written and read back", () => {
    expect(parseVersionCache(renderVersionCache([entry]))).toEqual([entry]);
  });

  test("garbage, another format, or entries not whole are ignored", () => {
    expect(parseVersionCache("{not json")).toEqual([]);
    expect(parseVersionCache("null")).toEqual([]);
    expect(parseVersionCache("[]")).toEqual([]);
    expect(parseVersionCache(JSON.stringify({ format: "stigmer-python-versions/0", entries: [entry] }))).toEqual([]);
    expect(parseVersionCache(JSON.stringify({ entries: [entry] }))).toEqual([]);
    const mixed = renderVersionCache([entry]).replace('"entries": [', `"entries": [{"path": "/x", "version": "3.12.0"}, {"path": 1}, "text", null, `);
    expect(parseVersionCache(mixed)).toEqual([entry]);
    const numbers = JSON.stringify({ format: "stigmer-python-versions/1", entries: [{ ...entry, size: 6831736 }] });
    expect(parseVersionCache(numbers)).toEqual([]);
  });

  test("an entry for the same path replaces the older one, the newest first, and the file stays small", () => {
    const other = { ...entry, path: "/opt/python3.13", version: "3.13.0" };
    const updated = { ...entry, mtimeNs: "1", version: "3.12.5" };
    expect(withEntry([entry, other], updated)).toEqual([updated, other]);
    let many: CachedVersion[] = [];
    for (let i = 0; i < CACHE_ENTRIES + 5; i++) many = withEntry(many, { ...entry, path: `/p/${i}` });
    expect(many).toHaveLength(CACHE_ENTRIES);
    expect(many[0]!.path).toBe(`/p/${CACHE_ENTRIES + 4}`);
  });
});

describe("what may be cached", () => {
  const answer = { version: "3.12.4", executable: identity.path, missing: null };

  test("an interpreter that runs as the file itself", () => {
    expect(isCacheable({ args: [] }, identity, answer)).toBe(true);
  });

  test("not a wrapper or a shim (it runs another file), not a launcher with arguments (py -3), not a failed answer", () => {
    expect(isCacheable({ args: [] }, identity, { ...answer, executable: "/home/u/.pyenv/versions/3.12.4/bin/python3.12" })).toBe(false);
    expect(isCacheable({ args: [] }, identity, { ...answer, executable: null })).toBe(false);
    expect(isCacheable({ args: ["-3"] }, identity, answer)).toBe(false);
    expect(isCacheable({ args: [] }, identity, { ...answer, version: null })).toBe(false);
  });
});

describe("parsePythonAnswer", () => {
  test("version, real path, and the missing distributions when asked", () => {
    expect(parsePythonAnswer(0, "3.12.4\n/usr/bin/python3.12\n[\"temporalio\"]\n", true)).toEqual({
      version: "3.12.4",
      executable: "/usr/bin/python3.12",
      missing: ["temporalio"],
    });
    expect(parsePythonAnswer(0, "3.12.4\r\nC:\\Python312\\python.exe\r\n[]\r\n", true)).toEqual({ version: "3.12.4", executable: "C:\\Python312\\python.exe", missing: [] });
  });

  test("a script that only prints a version (a stand-in, an old Python) answers the version alone", () => {
    expect(parsePythonAnswer(0, "3.10.2\n", true)).toEqual({ version: "3.10.2", executable: null, missing: null });
    expect(parsePythonAnswer(0, "3.12.1\n/p\n", false)).toEqual({ version: "3.12.1", executable: "/p", missing: null });
  });

  test("a failed run answers nothing; a list that is not of names is no answer", () => {
    expect(parsePythonAnswer(1, "3.12.4\n/p\n[]\n", true)).toEqual({ version: null, executable: null, missing: null });
    expect(parsePythonAnswer(null, "", false).version).toBeNull();
    expect(parsePythonAnswer(0, "Python 3.12\n", false).version).toBeNull();
    expect(parsePythonAnswer(0, "3.12.4\n/p\n[1]\n", true).missing).toBeNull();
    expect(parsePythonAnswer(0, "3.12.4\n/p\nTraceback\n", true).missing).toBeNull();
  });
});

describe("pythonProblem", () => {
  const chosen = { command: "/opt/py", args: [], source: "--python" };

  test("no version: it did not run as Python, naming what was tried; too old: the minimum; else none", () => {
    expect(pythonProblem(chosen, ["/opt/py (--python)"], null)?.message).toBe("/opt/py did not run as Python (asked for its version). Tried:\n  - /opt/py (--python)");
    expect(pythonProblem(chosen, [], "3.10.14")?.message).toBe("/opt/py is Python 3.10.14; the Agent Runner needs 3.11 or newer.");
    expect(pythonProblem(chosen, [], "3.11.0")).toBeNull();
  });
});

describe("the runner's dependencies from the probe's answer", () => {
  const declared: DeclaredDependencies = { names: ["temporalio", "anthropic"], poetry: true, pyproject: "/r/pyproject.toml" };
  const python = { command: "/r/.venv/bin/python3", args: [] };

  test("no pyproject.toml: nothing to check", () => {
    const check = dependencyCheck("/r", null, null);
    expect(check).toEqual({ pyproject: null, missing: [], fix: null });
    expect(dependencyProblem(check, python)).toBeNull();
  });

  test("missing ones: the install command; none: no problem; a pyproject.toml that names none needs no answer", () => {
    const missing = dependencyCheck("/r", declared, ["temporalio"]);
    expect(missing.fix).toBe("cd /r && poetry install");
    expect(dependencyProblem(missing, python)?.message).toBe("/r/.venv/bin/python3 lacks a package the runner needs (/r/pyproject.toml): temporalio.");
    expect(dependencyProblem(dependencyCheck("/r", declared, []), python)).toBeNull();
    expect(dependencyProblem(dependencyCheck("/r", { ...declared, names: [] }, null), python)).toBeNull();
  });

  test("no answer: the Python could not list its packages", () => {
    expect(dependencyProblem(dependencyCheck("/r", declared, null), python)?.message).toBe("/r/.venv/bin/python3 could not list its installed packages.");
  });
});

describe("findPython", () => {
  const files = (...present: string[]) => (file: string) => present.includes(file);
  const onPath = (command: string) => (command === "python3" ? "/usr/bin/python3" : null);

  test("Poetry is asked only when the choice gets that far, once, and its environment is then used", async () => {
    let asked = 0;
    const poetry = async () => {
      asked += 1;
      return "/cache/venv";
    };
    const lookup = { runnerDir: "/r", family: "posix" as const, onPath };
    expect((await findPython({ ...lookup, isFile: files("/r/.venv/bin/python3", "/cache/venv/bin/python3") }, poetry)).chosen?.source).toBe("venv");
    expect(asked).toBe(0);
    const { chosen, tried } = await findPython({ ...lookup, isFile: files("/cache/venv/bin/python3") }, poetry);
    expect(chosen).toEqual({ command: "/cache/venv/bin/python3", args: [], source: "poetry" });
    expect(asked).toBe(1);
    expect(tried).toContain("/cache/venv (poetry env info --path)");
    expect((await findPython({ ...lookup, isFile: files() }, async () => null)).chosen).toEqual({ command: "/usr/bin/python3", args: [], source: "PATH" });
  });
});

describe("the services start waits for, and looks at ahead", () => {
  const options = (flags: Record<string, string | boolean>) => resolveStartOptions(flags, {}, null);

  test("Temporal with --temporal off, the daemon without --server; none with --no-wait-daemon", () => {
    expect(unmanagedTargets(options({ temporal: "off" }), "localhost:7233").map((target) => [target.label, target.endpoint, target.service])).toEqual([
      ["Temporal", "localhost:7233", TEMPORAL_HEALTH_SERVICE],
      ["the daemon", "localhost:50051", ""],
    ]);
    expect(unmanagedTargets(options({}), "localhost:7233").map((target) => target.label)).toEqual(["the daemon"]);
    expect(unmanagedTargets(options({ temporal: "off", server: "/bin/stigmer-server" }), "localhost:7233").map((target) => target.label)).toEqual(["Temporal"]);
    expect(unmanagedTargets(options({ temporal: "off", waitDaemon: false }), "localhost:7233")).toEqual([]);
  });

  test("a look opens the gate when it found the service up, a moment ago", () => {
    const now = Date.parse("2026-12-02T10:00:05.000Z");
    const look = (status: "serving" | "reachable" | "unreachable", at = "2026-12-02T10:00:04.000Z") => ({ endpoint: "localhost:50051", status, checkedAt: at, detail: null });
    expect(lookStillOpens({ acceptReachable: true }, look("serving"), now)).toBe(true);
    expect(lookStillOpens({ acceptReachable: true }, look("reachable"), now)).toBe(true);
    expect(lookStillOpens({ acceptReachable: false }, look("reachable"), now)).toBe(false);
    expect(lookStillOpens({ acceptReachable: true }, look("unreachable"), now)).toBe(false);
    expect(lookStillOpens({ acceptReachable: true }, null, now)).toBe(false);
    // Taken before a prompt that lasted a while: asked again.
    expect(lookStillOpens({ acceptReachable: true }, look("serving", "2026-12-02T09:59:00.000Z"), now)).toBe(false);
  });
});
