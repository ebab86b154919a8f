// The daemon check against a gRPC server that is not grpc-js: Python's grpcio (Debian's python3-grpcio),
// through the compiled binary, whose grpc-js is bundled with its proxy and compression modules loaded
// only when used (build/grpc-lazy-builtins.ts), and through the source.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import path from "node:path";
import zlib from "node:zlib";
import { checkDaemon } from "../../src/daemon/health.ts";
import { cleanEnv, cleanupAll, FIXTURES, runCli, spawnServer, tempDir, waitFor, type ServerProcess } from "../helpers.ts";

/** A Python that imports grpc: Debian's, which python3-grpcio installs into, else the one on PATH. */
function pythonWithGrpc(): string {
  for (const python of ["/usr/bin/python3", "python3"]) {
    if (spawnSync(python, ["-c", "import grpc"], { stdio: "ignore" }).status === 0) return python;
  }
  throw new Error("No Python here imports grpc: install python3-grpcio (apt-get install python3-grpcio; .ci/run does).");
}

const startPeer = (args: string[] = []): Promise<ServerProcess> =>
  spawnServer("the grpcio server", pythonWithGrpc(), [path.join(FIXTURES, "grpcio-health-server.py"), ...args]);

const statusOf = (endpoint: string) => {
  const result = runCli(["local", "status", "--json", "--endpoint", endpoint], cleanEnv({ STIGMER_HOME: tempDir() }));
  expect(result.code).toBe(3);
  return JSON.parse(result.stdout).daemon as { endpoint: string; status: string; checkedAt: string; detail: string | null };
};

afterEach(cleanupAll);

describe("a grpcio server whose health answers are compressed with gzip", () => {
  let peer: ServerProcess;
  beforeAll(async () => (peer = await startPeer()));
  afterAll(() => peer.stop());

  test("the source, with grpc-js as published, reads it (and the answer did come compressed: gunzipped once per call)", async () => {
    const createGunzip = zlib.createGunzip;
    let gunzips = 0;
    zlib.createGunzip = ((...args: Parameters<typeof createGunzip>) => (gunzips++, createGunzip(...args))) as typeof createGunzip;
    try {
      expect((await checkDaemon(peer.endpoint)).status).toBe("serving");
      expect((await checkDaemon(peer.endpoint, { service: "temporal.api.workflowservice.v1.WorkflowService" })).status).toBe("serving");
    } finally {
      zlib.createGunzip = createGunzip;
    }
    expect(gunzips).toBe(2);
    await waitFor("the grpcio server's line for the call", () => peer.output().includes("answered temporal.api.workflowservice.v1.WorkflowService gzip"));
  });

  test("the binary reads the same compressed answer: serving (its zlib loaded at the first compressed message)", async () => {
    expect(statusOf(peer.endpoint)).toEqual(expect.objectContaining({ status: "serving", detail: null }));
    // The peer's output is read once this test yields: the CLI ran synchronously.
    await waitFor("the grpcio server's line for the call", () => peer.output().includes("answered (server) gzip"));
  });
});

test("a grpcio server without a health service, as stigmer-server today: reachable", async () => {
  const peer = await startPeer(["--no-health-service"]);
  try {
    expect(statusOf(peer.endpoint)).toEqual({ endpoint: peer.endpoint, status: "reachable", checkedAt: expect.any(String), detail: "answers gRPC, but has no health service" });
    expect((await checkDaemon(peer.endpoint)).status).toBe("reachable");
  } finally {
    await peer.stop();
  }
});
