// The TCP layer under the gRPC check: a quick look that needs no gRPC, and the plain
// words for socket errors.
//
// `stigmer local status` has a budget of about 100 ms, process start included. Loading
// @grpc/grpc-js and making the first call costs more than that on a cold process, and a
// closed port (the daemon not started) is the common "down" case. A bare TCP connect
// answers that case in a few milliseconds; gRPC is loaded only when something listens.

import { connectOnce, resolveAddresses, type ConnectAttempt } from "../platform/net/tcp-connect.ts";

const SOCKET_ERRORS: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ETIMEDOUT: "connection timed out",
  EADDRNOTAVAIL: "address not available",
  // A "prohibit" route (EACCES), a firewall rule on the way out (EPERM).
  EACCES: "connection not permitted",
  EPERM: "connection not permitted",
};

const RESOLUTION_ERRORS = ["ENOTFOUND", "EAI_AGAIN", "EAI_NONAME", "EAI_FAIL"];

/** The plain words for the first socket or DNS error code named in `text`, if any. */
export function describeNetworkError(text: string, host: string): string | null {
  if (RESOLUTION_ERRORS.some((code) => text.includes(code))) return `cannot resolve host ${host}`;
  const code = Object.keys(SOCKET_ERRORS).find((candidate) => text.includes(candidate));
  return code ? SOCKET_ERRORS[code]! : null;
}

export function noAnswerWithin(ms: number): string {
  return `no answer within ${Number((ms / 1000).toFixed(1))}s`;
}

/** "host:port" or "[v6 address]:port"; null for anything else, which is left to gRPC to judge. */
export function splitEndpoint(endpoint: string): { host: string; port: number } | null {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(endpoint);
  if (!match) return null;
  const port = Number(match[3]);
  return port <= 65535 ? { host: (match[1] ?? match[2])!, port } : null;
}

/**
 * Why no TCP connection can be made to host:port, or null as soon as one address of
 * the host accepts one. Every address the name resolves to is tried at once, as gRPC
 * would try them, so "localhost" answering on only one of 127.0.0.1 and ::1 counts.
 */
export function tcpConnectFailure(host: string, port: number, timeoutMs: number, signal?: AbortSignal): Promise<string | null> {
  return new Promise((resolve) => {
    const attempts: ConnectAttempt[] = [];
    let settled = false;
    const cancel = () => finish("check cancelled");
    const finish = (failure: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", cancel);
      for (const attempt of attempts) attempt.abandon();
      resolve(failure);
    };
    const timer = setTimeout(() => finish(noAnswerWithin(timeoutMs)), timeoutMs);
    if (signal?.aborted) return cancel();
    signal?.addEventListener("abort", cancel, { once: true });
    const attemptAll = async (addresses: string[]) => {
      const failures: string[] = [];
      for (const address of addresses) {
        if (settled) return;
        const attempt = await connectOnce(address, port);
        attempts.push(attempt);
        if (settled) attempt.abandon();
        void attempt.outcome.then((failure) => {
          if (failure === null) return finish(null);
          failures.push(describeNetworkError(failure, host) ?? failure);
          if (failures.length === addresses.length) finish(failures[0]!);
        });
      }
    };
    resolveAddresses(host).then(attemptAll, (error: NodeJS.ErrnoException) =>
      finish(describeNetworkError(error.code ?? "", host) ?? error.message),
    );
  });
}
