export type Provider = "anthropic" | "openai" | "ollama";
export const PROVIDERS: readonly Provider[] = ["anthropic", "openai", "ollama"];

/** The environment variables holding the keys a provider needs; ollama runs locally and needs none. */
export function keyNamesFor(provider: Provider): string[] {
  switch (provider) {
    case "anthropic":
      return ["ANTHROPIC_API_KEY"];
    case "openai":
      return ["OPENAI_API_KEY"];
    case "ollama":
      return [];
  }
}
