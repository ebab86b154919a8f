import path from "node:path";
import { stigmerHome } from "../../platform/files/paths.ts";
import type { ResolvedPython } from "../../platform/python/python.ts";
import { pythonCacheFile, writeVersionCache, type CachedVersion } from "../../platform/python/python-cache.ts";
import { dependencyProblem, examineRunnerPython } from "../../platform/python/runner-project.ts";
import { resolveRunner, resolveServer, type RunnerTarget } from "../../platform/python/runner.ts";
import { resolveKeys, storedKeyNames, type KeySources, type ResolvedKey } from "../../secrets/chain.ts";
import { secretValues } from "../../secrets/key-variables.ts";
import { keyNamesFor } from "../../secrets/providers.ts";
import type { LaunchSpec } from "../process/process-tree.ts";
import { ensurePrivateDir, ensureWorkspaceDir, homeLayout, type HomeLayout } from "../control/state-dir.ts";
import { buildRunnerEnv } from "./runner-env.ts";
import { buildStack, type ComponentPlan } from "./stack.ts";
import type { StartOptions } from "./start-options.ts";
import { planTemporal, temporalAddress, type TemporalPlan, type TemporalProbe } from "./temporal.ts";

/** Everything `start` resolved before anything is spawned; holds keys, so it lives in memory only. */
export interface StartPlan {
  options: StartOptions;
  layout: HomeLayout;
  runner: RunnerTarget;
  python: ResolvedPython | null;
  keys: ResolvedKey[];
  /** Every value the redactor hides, the resolved keys among them (secrets/key-variables.ts). */
  secrets: string[];
  temporal: TemporalPlan;
  /** The components in start order; the runner is last. */
  stack: ComponentPlan[];
}

export interface PlanInputs {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  keySources: KeySources;
  temporal: TemporalProbe;
}

/**
 * Resolves the runner, Python, Temporal and keys, and prepares `STIGMER_HOME`: every check that can
 * fail before a spawn. The Python is asked in a child process, started before this function first
 * waits, and Temporal's probe runs meanwhile; problems are still reported in one order: the runner,
 * the server, the Python, its packages, Temporal, the keys, the home.
 */
export async function planStart(options: StartOptions, inputs: PlanInputs): Promise<StartPlan> {
  const layout = homeLayout(stigmerHome(inputs.env as NodeJS.ProcessEnv));
  const runner = resolveRunner(options.runner, inputs.cwd);
  const server = options.server ? resolveServer(options.server, inputs.cwd) : null;
  const cacheFile = pythonCacheFile(layout.home);
  const examining =
    runner.kind === "python-script"
      ? examineRunnerPython({ explicit: options.python, explicitSource: options.pythonSource, runnerDir: runner.dir, env: inputs.env, cwd: inputs.cwd }, cacheFile)
      : null;
  const temporalPlan = planTemporal(options.temporal, temporalAddress(inputs.env), layout.temporalDir, inputs.temporal);
  // Awaited below in the order problems are reported; one given up on must not be an unhandled rejection.
  for (const pending of [examining, temporalPlan]) pending?.catch(() => undefined);
  const examined = await examining;
  const python = examined?.python ?? null;
  if (examined?.dependencies) {
    const problem = dependencyProblem(examined.dependencies, examined.python);
    if (problem) throw problem;
  }
  const temporal = await temporalPlan;
  const keys = await resolveKeys(keyNamesFor(options.provider), inputs.keySources);
  const secrets = secretValues(inputs.env, keys, await storedKeyNames(keys, inputs.keySources));
  const workspace = path.resolve(inputs.cwd, options.workspace ?? layout.workspace);
  const dirs = [layout.home, layout.runDir, layout.logsDir];
  if (temporal.kind === "managed") dirs.push(layout.temporalDir);
  for (const dir of dirs) ensurePrivateDir(dir);
  if (examined?.cacheUpdate) rememberVersions(cacheFile, examined.cacheUpdate);
  ensureWorkspaceDir(workspace);
  const env = buildRunnerEnv(inputs.env, {
    endpoint: options.endpoint,
    provider: options.provider,
    model: options.model,
    temporalAddress: temporal.address,
    workspace,
    keys,
  });
  const launch: LaunchSpec =
    runner.kind === "python-script"
      ? { command: python!.command, args: [...python!.args, runner.script], cwd: runner.dir, env }
      : { command: runner.executable, args: [], cwd: runner.dir, env };
  const stack = buildStack(options, layout, { temporal, server, runner: launch, env: inputs.env });
  return { options, layout, runner, python, keys, secrets, temporal, stack };
}

/** The version cache only saves a probe: a start never fails for not writing it (the next start asks the Python again). */
function rememberVersions(file: string, entries: readonly CachedVersion[]): void {
  try {
    writeVersionCache(file, entries);
  } catch {
    // A full disk or a home gone read-only: the next start probes again.
  }
}
