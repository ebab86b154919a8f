import { usageError } from "../../cli/errors.ts";
import { PROVIDERS, type Provider } from "../../secrets/providers.ts";

/**
 * The model the runner is told to use when none is given. The real runner's own default is an
 * Ollama model in local mode whatever the provider, and its model parser picks the provider from
 * the model's name: without this, `--provider anthropic` would talk to Ollama.
 */
export const DEFAULT_MODELS: Readonly<Record<Provider, string | null>> = {
  anthropic: "claude-sonnet-4.5",
  openai: "gpt-4o",
  ollama: null,
};

/**
 * The given model, or the provider's default. A `provider:` prefix that names another provider
 * is refused: the runner would silently use that provider and a key the user never gave. Pure.
 */
export function resolveModel(provider: Provider, given: string | undefined, flag: string): string | null {
  if (given === undefined) return DEFAULT_MODELS[provider];
  const model = given.trim();
  if (model === "") throw usageError(`${flag} is empty.`, `Give a model name, or leave ${flag} out for ${DEFAULT_MODELS[provider] ?? "the runner's default"}.`);
  const prefix = /^([a-z]+):/.exec(model)?.[1];
  if (prefix && (PROVIDERS as readonly string[]).includes(prefix) && prefix !== provider) {
    throw usageError(
      `${flag} ${model} is a ${prefix} model, but the provider is ${provider}.`,
      `Use --provider ${prefix}, or a ${provider} model (for example ${DEFAULT_MODELS[provider] ?? "llama3.1"}).`,
    );
  }
  return model;
}
