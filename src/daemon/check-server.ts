// The health checker process (`stigmer local __health-checks`): the supervisor's gRPC health calls
// run here, so @grpc/grpc-js and node:http2 are loaded in this short-lived process and never in the
// supervisor, which lives all day (see checker.ts). It answers each request line with one answer
// line, and ends when its input does: the supervisor closes it when it has nothing more to ask,
// and the pipe closes by itself when the supervisor dies.
import { checkResult } from "./check.ts";
import { LineSplitter, parseRequest } from "./checker-protocol.ts";
import { HealthProbe } from "./health.ts";

export async function serveHealthChecks(input: AsyncIterable<Buffer | string>, writeLine: (line: string) => void): Promise<void> {
  // One channel per endpoint and service, reused across requests as waitForDaemon reuses one.
  const probes = new Map<string, HealthProbe>();
  const underWay = new Map<number, AbortController>();
  const lines = new LineSplitter();
  const answer = async (id: number, endpoint: string, service: string, deadlineMs: number) => {
    const key = `${service}\n${endpoint}`;
    let probe = probes.get(key);
    if (!probe) probes.set(key, (probe = new HealthProbe(endpoint, service)));
    const abort = new AbortController();
    underWay.set(id, abort);
    const check = await probe.check(deadlineMs, abort.signal).catch((error: Error) => checkResult(endpoint, "unreachable", error.message));
    underWay.delete(id);
    writeLine(JSON.stringify({ id, check }));
  };
  try {
    for await (const chunk of input) {
      for (const line of lines.push(chunk.toString())) {
        const request = parseRequest(line);
        if (request === null) continue;
        if ("cancel" in request) underWay.get(request.cancel)?.abort();
        else void answer(request.id, request.endpoint, request.service, request.deadlineMs);
      }
    }
  } finally {
    for (const abort of underWay.values()) abort.abort();
    for (const probe of probes.values()) probe.close();
  }
}
