import type { ResolvedKey } from "../../secrets/chain.ts";
import { LLM_KEY_VARIABLE } from "../../secrets/key-variables.ts";
import type { Provider } from "../../secrets/providers.ts";

export interface RunnerEnvSettings {
  endpoint: string;
  provider: Provider;
  /** STIGMER_LLM_MODEL; null leaves the variable as the user's environment has it (ollama). */
  model: string | null;
  /** Where the runner finds Temporal (TEMPORAL_SERVICE_ADDRESS). */
  temporalAddress: string;
  /** Absolute path of the sandbox root. */
  workspace: string;
  keys: readonly ResolvedKey[];
}

export const DUMMY_STIGMER_API_KEY = "dummy-local-key";

/**
 * The one place that builds the runner's environment (shared/DESIGN.md, "What the runner gets"):
 * the user's environment plus the local-mode settings and the resolved keys. Pure.
 */
export function buildRunnerEnv(base: Readonly<Record<string, string | undefined>>, settings: RunnerEnvSettings): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(base)) if (value !== undefined) env[name] = value;
  env.MODE = "local";
  env.SANDBOX_TYPE = "filesystem";
  env.SANDBOX_ROOT_DIR = settings.workspace;
  env.STIGMER_BACKEND_ENDPOINT = settings.endpoint;
  if (!env.STIGMER_API_KEY) env.STIGMER_API_KEY = DUMMY_STIGMER_API_KEY;
  env.STIGMER_LLM_PROVIDER = settings.provider;
  if (settings.model !== null) env.STIGMER_LLM_MODEL = settings.model;
  env.TEMPORAL_SERVICE_ADDRESS = settings.temporalAddress;
  Object.assign(env, keyVariables(settings.keys));
  env.PYTHONUNBUFFERED = "1";
  return env;
}

/** The variables that carry the keys: each under its own name, the first also as STIGMER_LLM_API_KEY (the runner reads it first). */
export function keyVariables(keys: readonly ResolvedKey[]): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const key of keys) variables[key.name] = key.value;
  const [llmKey] = keys;
  if (llmKey) variables[LLM_KEY_VARIABLE] = llmKey.value;
  return variables;
}
