// Known ways a component dies, as data: a signature in its (redacted) output → a cause and a fix.
// Matched after redaction, and no cause or fix quotes the matched text beyond a module or provider
// name, so a diagnosis never echoes a key.

/** What the user is told: why it failed, and the one thing to do. */
export interface Diagnosis {
  cause: string;
  fix: string;
}

/** What a fix may name: the settings the component ran with. */
export interface DiagnosisContext {
  runnerDir: string | null;
  /** The key variable the provider needs (ANTHROPIC_API_KEY), or null for ollama. */
  keyName: string | null;
  endpoint: string;
  temporalAddress: string;
  provider: string;
}

interface Signature {
  pattern: RegExp;
  diagnose(match: RegExpExecArray, context: DiagnosisContext): Diagnosis;
}

const installFix = (context: DiagnosisContext) =>
  context.runnerDir
    ? `Install the runner's dependencies: cd ${context.runnerDir} && poetry install (or pip install -e . when it is not a Poetry project)`
    : "Install the runner's dependencies into the Python it runs with (--python)";
const keyFix = (context: DiagnosisContext) => (context.keyName ? `stigmer secrets set ${context.keyName}, then stigmer local restart --reload-keys` : "Check --provider");

export const SIGNATURES: readonly Signature[] = [
  {
    pattern: /No module named '([\w.]+)'/,
    diagnose: (match, context) => ({ cause: `a Python package is missing: ${match[1]}`, fix: installFix(context) }),
  },
  {
    pattern: /Failed to connect to Temporal|temporalio\..*(?:RPCError|ServiceClient).*(?:connect|unavailable)|Connection refused.*:7233\b/i,
    diagnose: (_match, context) => ({
      cause: `the runner cannot reach Temporal at ${context.temporalAddress}`,
      fix: "Start Temporal (temporal server start-dev), or let stigmer run a dev server: --temporal auto (needs the temporal CLI: brew install temporal)",
    }),
  },
  {
    pattern: /api_key is required for (\w+) provider/,
    diagnose: (match, context) => ({ cause: `the runner got no key for the ${match[1]} provider`, fix: keyFix(context) }),
  },
  {
    pattern: /model '[^']*' belongs to provider '(\w+)'|Unknown (?:LLM )?provider|unsupported provider/i,
    diagnose: (match, context) => ({
      cause: match[1] ? `the model belongs to the ${match[1]} provider, not ${context.provider}` : `the runner does not accept the provider ${context.provider}`,
      fix: "Give a model of the provider with --model, or the model's provider with --provider (stigmer config set model|provider …)",
    }),
  },
  {
    pattern: /authentication_error|invalid x-api-key|Incorrect API key|\b401\b.*(?:Unauthorized|auth)|(?:Unauthorized|AuthenticationError).*\b401\b/i,
    diagnose: (_match, context) => ({ cause: `the ${context.provider} API rejected the key`, fix: keyFix(context) }),
  },
  {
    pattern: /StatusCode\.UNAVAILABLE|failed to connect to all addresses|status = StatusCode\.UNAVAILABLE/,
    diagnose: (_match, context) => ({
      cause: `the runner cannot reach stigmer-server at ${context.endpoint}`,
      fix: "Start stigmer-server, point --endpoint at it (newer builds listen on localhost:7234), or let stigmer run it with --server",
    }),
  },
  {
    pattern: /requires (?:a different )?Python|Python 3\.(?:[0-9]|10)\b.* not supported|SyntaxError: invalid syntax/,
    diagnose: () => ({ cause: "the Python it runs with is too old for the runner", fix: "Point --python (or STIGMER_PYTHON) at Python 3.11 or newer" }),
  },
];

/** The diagnosis of the last failure: the last line that matches a signature wins. Pure. */
export function diagnose(lines: readonly string[], context: DiagnosisContext): Diagnosis | null {
  for (let index = lines.length - 1; index >= 0; index--) {
    for (const signature of SIGNATURES) {
      const match = signature.pattern.exec(lines[index]!);
      if (match) return signature.diagnose(match, context);
    }
  }
  return null;
}
