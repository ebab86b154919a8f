// `doctor --check-key`: one authenticated request per key to its provider, never the key in
// what is reported. Off by default: doctor asks no provider anything unless told to.
import type { Provider } from "./providers.ts";

export type KeyVerdict = { status: "valid" } | { status: "rejected"; detail: string } | { status: "unreachable"; detail: string };

export const CHECK_KEY_TIMEOUT_MS = 5000;

/** The request that proves a key: the provider's model list, which any valid key may read. */
export function keyCheckRequest(provider: Provider, key: string, env: Readonly<Record<string, string | undefined>>): { url: string; headers: Record<string, string> } | null {
  switch (provider) {
    case "anthropic": {
      const base = (env.ANTHROPIC_BASE_URL?.trim() || "https://api.anthropic.com").replace(/\/+$/, "");
      return { url: `${base}/v1/models`, headers: { "x-api-key": key, "anthropic-version": "2023-06-01" } };
    }
    case "openai": {
      const base = (env.OPENAI_BASE_URL?.trim() || "https://api.openai.com/v1").replace(/\/+$/, "");
      return { url: `${base}/models`, headers: { authorization: `Bearer ${key}` } };
    }
    case "ollama":
      return null;
  }
}

/** Asks the provider whether it accepts the key: valid (2xx), rejected (401/403), or unreachable with the reason. */
export async function checkKeyWithProvider(
  provider: Provider,
  key: string,
  env: Readonly<Record<string, string | undefined>>,
  timeoutMs = CHECK_KEY_TIMEOUT_MS,
): Promise<KeyVerdict> {
  const request = keyCheckRequest(provider, key, env);
  if (!request) return { status: "valid" };
  const host = new URL(request.url).host;
  try {
    const response = await fetch(request.url, { headers: request.headers, signal: AbortSignal.timeout(timeoutMs), redirect: "error" });
    await response.body?.cancel();
    if (response.ok) return { status: "valid" };
    if (response.status === 401 || response.status === 403) return { status: "rejected", detail: `${host} answered HTTP ${response.status}` };
    return { status: "unreachable", detail: `${host} answered HTTP ${response.status}` };
  } catch (error) {
    const name = (error as Error).name;
    if (name === "TimeoutError" || name === "AbortError") return { status: "unreachable", detail: `${host} did not answer within ${timeoutMs / 1000}s` };
    return { status: "unreachable", detail: `${host}: ${describeFetchError(error)}` };
  }
}

function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as { code?: string }).code;
  if (cause === "ECONNREFUSED" || cause === "ConnectionRefused") return "connection refused";
  if (cause === "ENOTFOUND" || cause === "EAI_NONAME") return "cannot resolve the host";
  return (error as Error).message.replace(/https?:\/\/\S+/g, "").trim() || "no answer";
}
