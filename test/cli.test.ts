// The command tree as a user meets it: the compiled binary, exit codes, help and errors.
import { afterEach, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { cleanEnv, cleanupAll, runCli, tempDir } from "./helpers.ts";
import packageJson from "../package.json" with { type: "json" };

afterEach(cleanupAll);

const env = () => cleanEnv({ STIGMER_HOME: tempDir() });

describe("version", () => {
  test("--version and -v print the version", () => {
    for (const flag of ["--version", "-v"]) {
      const result = runCli([flag], env());
      expect(result.code).toBe(0);
      expect(result.stdout).toBe(`stigmer ${packageJson.version}\n`);
    }
  });

  test("version prints version, commit, build date and target; --json too", () => {
    const text = runCli(["version"], env());
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`stigmer ${packageJson.version}`);
    expect(text.stdout).toMatch(/commit {2}\S+/);
    expect(text.stdout).toMatch(/built {3}\d{4}-\d\d-\d\dT/);
    expect(text.stdout).toContain(`target  ${process.platform}-${process.arch}`);
    const json = JSON.parse(runCli(["version", "--json"], env()).stdout);
    expect(json).toMatchObject({ version: packageJson.version, target: `${process.platform}-${process.arch}` });
    expect(json.commit).toMatch(/^[0-9a-f]{12}$|^unknown$/);
  });
});

describe("usage errors exit 2 with a short usage, no stack", () => {
  test.each([
    [["bogus"], 'Unknown command "bogus"'],
    [["local", "bogus"], 'Unknown command "bogus" for "stigmer local"'],
    [["local", "start", "--bogus"], 'Unknown option --bogus for "stigmer local start"'],
    [["local", "start", "--runner"], "--runner needs a value"],
    [["local", "start", "--restart-delay", "soon"], '--restart-delay takes a duration, not "soon"'],
    [["local", "start", "--restart", "sometimes"], "--restart must be one of on-failure, always, never"],
    [["local", "start", "--endpoint", "localhost"], "--endpoint must be HOST:PORT"],
    [["local", "start", "extra"], 'Unexpected argument "extra"'],
    [["local"], '"stigmer local" needs a command'],
    [[], '"stigmer" needs a command'],
  ])("%p", (args, message) => {
    const result = runCli(args, env());
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain("USAGE stigmer");
    expect(result.stderr.split("\n").length).toBeLessThan(25);
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(result.stderr).not.toContain("\u001B[");
  });
});

describe("help", () => {
  test("--help is true to the flags and exits 0", () => {
    const result = runCli(["local", "start", "--help"], env());
    expect(result.code).toBe(0);
    for (const flag of ["--runner", "--python", "--endpoint", "--provider", "--workspace", "--restart", "--restart-delay", "--max-restart-delay", "--min-uptime", "--max-restarts", "--stop-timeout"]) {
      expect(result.stdout).toContain(flag);
    }
    expect(result.stdout).toContain("USAGE stigmer local start");
    expect(result.stdout).not.toContain("\u001B[");
  });

  test("status --help gives its exit codes and points at the README, not a DESIGN.md the repository does not have", () => {
    const result = runCli(["local", "status", "--help"], env());
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("exit 0 running, 1 a component failed, 3 not running");
    expect(result.stdout).toContain('the format in the README, section "The daemon"');
    expect(result.stdout).not.toContain("DESIGN.md");
  });

  test("the root help lists the commands", () => {
    const result = runCli(["--help"], env());
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("local");
    expect(result.stdout).toContain("version");
  });
});

describe("errors", () => {
  test("exit 1 with one message and a fix, the stack only with --debug", () => {
    const home = tempDir();
    const plain = runCli(["local", "start", "--runner", "/nope"], cleanEnv({ STIGMER_HOME: home }));
    expect(plain.code).toBe(1);
    expect(plain.stderr).toContain("✖ The Agent Runner /nope does not exist.");
    expect(plain.stderr).toContain("→ Pass --runner PATH");
    expect(plain.stderr.trim().split("\n")).toHaveLength(2);
  });

  test("STIGMER_HOME that is a file is a clear error", () => {
    const dir = tempDir();
    const file = `${dir}/home-file`;
    writeFileSync(file, "x");
    const result = runCli(["local", "start", "--runner", `${import.meta.dir}/fixtures/runner.py`], cleanEnv({ STIGMER_HOME: file, ANTHROPIC_API_KEY: "sk-test-key-1234" }));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("is not a directory");
    expect(result.stderr).toContain("STIGMER_HOME");
  });
});
