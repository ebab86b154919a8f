// The contenders' environment: the stigmer binary under test, the Python every runner runs under, and the
// environment every process starts from.
import { existsSync } from "node:fs";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { FAKE_KEY, ROOT } from "./fixtures.ts";

export interface Setup {
  stigmer: string;
  /** The interpreter itself, not a shim: a pyenv shim costs ~200 ms per start and would hide the gaps measured. */
  python: string;
  /** What every process starts from: ours, without keys or STIGMER_ / FIXTURE_ / TEMPORAL_ settings. */
  baseEnv: Record<string, string>;
  /** `--temporal off`, or nothing for a binary without the flag: no Temporal dev server is started, no CLI looked for. */
  temporalOff: string[];
  /**
   * What every foreground `local start` without a daemon gets beyond its workload's own flags: the Python,
   * `--temporal off`, `--no-wait-daemon` (no daemon and no Temporal run for it) and `--log-max-size 1GiB` (a flood
   * must stay in one log file to be checked), each only when the binary offers it.
   */
  startFlags: string[];
}

export function stigmerBinary(): string {
  return path.resolve(ROOT, process.env.STIGMER_BIN ?? "dist/stigmer");
}

/** Our environment without what would change how stigmer or a fixture behaves. */
export function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined || /^(STIGMER_|FIXTURE_|TEMPORAL_|BENCH_)/.test(name) || name.endsWith("_API_KEY")) continue;
    env[name] = value;
  }
  env.NO_COLOR = "1";
  return env;
}

/** The interpreter python3 on PATH runs (not a shim), for the fixture runners. */
export function findPython(baseEnv: Record<string, string>): string {
  const found = spawnSync("python3", ["-c", "import sys; print(sys.executable)"], { encoding: "utf8", env: baseEnv });
  const python = found.stdout?.trim();
  if (found.status !== 0 || !python) throw new Error("python3 (3.11 or newer) is needed on PATH to run the fixture runners.");
  return python;
}

export function prepare(): Setup {
  const stigmer = stigmerBinary();
  if (!existsSync(stigmer)) throw new Error(`${stigmer} is missing: run npm run build (npm run bench does), or set STIGMER_BIN.`);
  const baseEnv = cleanEnv();
  const python = findPython(baseEnv);
  const help = spawnSync(stigmer, ["local", "start", "--help"], { encoding: "utf8", env: baseEnv });
  const offers = (flag: string) => `${help.stdout}${help.stderr}`.includes(flag);
  const temporalOff = offers("--temporal") ? ["--temporal", "off"] : [];
  const startFlags = ["--python", python, ...temporalOff];
  if (offers("--no-wait-daemon")) startFlags.push("--no-wait-daemon");
  if (offers("--log-max-size")) startFlags.push("--log-max-size", "1GiB");
  return { stigmer, python, baseEnv, temporalOff, startFlags };
}

/** The environment `local start` runs in, with `home` as its STIGMER_HOME, a fake key and no keyring. */
export function stigmerEnv(setup: Setup, home: string, extra: Record<string, string> = {}): Record<string, string> {
  return { ...setup.baseEnv, ...extra, STIGMER_HOME: home, ANTHROPIC_API_KEY: FAKE_KEY, STIGMER_NO_KEYRING: "1" };
}

/** A floor runs the runner as stigmer would: with PYTHONUNBUFFERED=1 (the runner contract sets it). */
export function floorRunnerEnv(setup: Pick<Setup, "baseEnv">, extra: Record<string, string> = {}): Record<string, string> {
  return { ...setup.baseEnv, ...extra, PYTHONUNBUFFERED: "1" };
}
