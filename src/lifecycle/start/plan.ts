import path from "node:path";
import { stigmerHome } from "../../platform/paths.ts";
import { resolvePython, type ResolvedPython } from "../../platform/python.ts";
import { resolveRunner, resolveServer, type RunnerTarget } from "../../platform/runner.ts";
import { resolveKeys, type KeySources, type ResolvedKey } from "../../secrets/chain.ts";
import { keyNamesFor } from "../../secrets/providers.ts";
import type { LaunchSpec } from "../process/process-tree.ts";
import { buildRunnerEnv } from "./runner-env.ts";
import type { StartOptions } from "./start-options.ts";
import { ensurePrivateDir, homeLayout, type HomeLayout } from "../control/state-dir.ts";

/** Everything `start` resolved before anything is spawned; holds keys, so it lives in memory only. */
export interface StartPlan {
  options: StartOptions;
  layout: HomeLayout;
  runner: RunnerTarget;
  python: ResolvedPython | null;
  keys: ResolvedKey[];
  launch: LaunchSpec;
  /** stigmer-server, when the supervisor runs it too; it gets the user's environment as it is. */
  server: LaunchSpec | null;
}

export interface PlanInputs {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  keySources: KeySources;
}

/** Resolves the runner, Python and keys, and prepares `STIGMER_HOME`: every check that can fail before a spawn. */
export async function planStart(options: StartOptions, inputs: PlanInputs): Promise<StartPlan> {
  const layout = homeLayout(stigmerHome(inputs.env as NodeJS.ProcessEnv));
  const runner = resolveRunner(options.runner, inputs.cwd);
  const serverPath = options.server ? resolveServer(options.server, inputs.cwd) : null;
  const python =
    runner.kind === "python-script" ? resolvePython({ explicit: options.python, runnerDir: runner.dir, cwd: inputs.cwd }) : null;
  const keys = await resolveKeys(keyNamesFor(options.provider), inputs.keySources);
  const workspace = path.resolve(inputs.cwd, options.workspace ?? layout.workspace);
  for (const dir of [layout.home, layout.runDir, layout.logsDir, workspace]) ensurePrivateDir(dir);
  const env = buildRunnerEnv(inputs.env, { endpoint: options.endpoint, provider: options.provider, workspace, keys });
  const launch: LaunchSpec =
    runner.kind === "python-script"
      ? { command: python!.command, args: [...python!.args, runner.script], cwd: runner.dir, env }
      : { command: runner.executable, args: [], cwd: runner.dir, env };
  const serverEnv: Record<string, string> = {};
  for (const [name, value] of Object.entries(inputs.env)) if (value !== undefined) serverEnv[name] = value;
  const server: LaunchSpec | null = serverPath ? { command: serverPath, args: [], cwd: path.dirname(serverPath), env: serverEnv } : null;
  return { options, layout, runner, python, keys, launch, server };
}
