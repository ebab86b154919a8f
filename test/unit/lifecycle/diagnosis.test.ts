import { describe, expect, test } from "bun:test";
import { diagnose, type DiagnosisContext } from "../../../src/lifecycle/process/diagnosis.ts";
import { declaredDependencies } from "../../../src/platform/python/runner-project.ts";

const context: DiagnosisContext = {
  runnerDir: "/src/agent-runner",
  keyName: "ANTHROPIC_API_KEY",
  endpoint: "localhost:50051",
  temporalAddress: "localhost:7233",
  provider: "anthropic",
};

describe("diagnose", () => {
  test.each([
    ["ModuleNotFoundError: No module named 'temporalio'", "a Python package is missing: temporalio", "cd /src/agent-runner && poetry install"],
    ["Failed to connect to Temporal at localhost:7233: connection refused", "cannot reach Temporal at localhost:7233", "--temporal auto"],
    ["ValueError: api_key is required for anthropic provider", "got no key for the anthropic provider", "stigmer secrets set ANTHROPIC_API_KEY"],
    ["ValueError: model 'qwen2.5-coder:7b' belongs to provider 'ollama', but STIGMER_LLM_PROVIDER is 'anthropic'", "belongs to the ollama provider", "--model"],
    ['anthropic.AuthenticationError: Error code: 401 - {"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}', "rejected the key", "--reload-keys"],
    ["openai.AuthenticationError: Error code: 401 - Incorrect API key provided: sk-proj-********", "rejected the key", "stigmer secrets set ANTHROPIC_API_KEY"],
    ["grpc._channel._InactiveRpcError: status = StatusCode.UNAVAILABLE details = failed to connect to all addresses", "cannot reach stigmer-server at localhost:50051", "--endpoint"],
    ["ERROR: Package 'agent-runner' requires a different Python: 3.10.12 not in '>=3.11'", "too old", "--python"],
  ])("%p", (line, cause, fix) => {
    const diagnosis = diagnose(["Traceback (most recent call last):", '  File "main.py", line 3', line], context);
    expect(diagnosis?.cause).toContain(cause);
    expect(diagnosis?.fix).toContain(fix);
  });

  test("nothing known: null; the last known line wins; a key in a line is never echoed", () => {
    expect(diagnose(["something else went wrong"], context)).toBeNull();
    expect(diagnose(["No module named 'x'", "Failed to connect to Temporal at a:1"], context)?.cause).toContain("Temporal");
    const diagnosis = diagnose(["AuthenticationError: 401 Unauthorized for key [REDACTED]"], context);
    expect(JSON.stringify(diagnosis)).not.toContain("REDACTED");
  });
});

describe("the runner's declared dependencies", () => {
  test("[project].dependencies (PEP 508) and [tool.poetry.dependencies] without python", () => {
    const pep621 = declaredDependencies('[project]\nname = "agent-runner"\ndependencies = ["temporalio>=1.7", "grpcio[protobuf] ; python_version>\'3.10\'", "Some_Dist.Name==1"]\n', "/p");
    expect(pep621).toEqual({ names: ["temporalio", "grpcio", "Some_Dist.Name"], poetry: false, pyproject: "/p" });
    const poetry = declaredDependencies('[tool.poetry]\nname = "agent-runner"\n[tool.poetry.dependencies]\npython = "^3.11"\ntemporalio = "^1.7"\ngraphton = { path = "../graphton" }\n', "/p");
    expect(poetry).toEqual({ names: ["temporalio", "graphton"], poetry: true, pyproject: "/p" });
  });
});
