import path from "node:path";
import { stigmerHome } from "../../platform/paths.ts";
import { resolvePython, type ResolvedPython } from "../../platform/python.ts";
import { checkRunnerDependencies, missingDependenciesError, runnerPythonLookup } from "../../platform/runner-project.ts";
import { resolveRunner, resolveServer, type RunnerTarget } from "../../platform/runner.ts";
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

/** Resolves the runner, Python, Temporal and keys, and prepares `STIGMER_HOME`: every check that can fail before a spawn. */
export async function planStart(options: StartOptions, inputs: PlanInputs): Promise<StartPlan> {
  const layout = homeLayout(stigmerHome(inputs.env as NodeJS.ProcessEnv));
  const runner = resolveRunner(options.runner, inputs.cwd);
  const server = options.server ? resolveServer(options.server, inputs.cwd) : null;
  const python =
    runner.kind === "python-script" ? resolvePython(runnerPythonLookup({ explicit: options.python, explicitSource: options.pythonSource, runnerDir: runner.dir, env: inputs.env, cwd: inputs.cwd })) : null;
  if (python) {
    const dependencies = checkRunnerDependencies(runner.dir, python);
    if (dependencies.missing.length) throw missingDependenciesError(dependencies, python);
  }
  const temporal = await planTemporal(options.temporal, temporalAddress(inputs.env), layout.temporalDir, inputs.temporal);
  const keys = await resolveKeys(keyNamesFor(options.provider), inputs.keySources);
  const secrets = secretValues(inputs.env, keys, await storedKeyNames(keys, inputs.keySources));
  const workspace = path.resolve(inputs.cwd, options.workspace ?? layout.workspace);
  const dirs = [layout.home, layout.runDir, layout.logsDir];
  if (temporal.kind === "managed") dirs.push(layout.temporalDir);
  for (const dir of dirs) ensurePrivateDir(dir);
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
