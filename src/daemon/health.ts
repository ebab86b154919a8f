// Whether the Stigmer daemon answers: grpc.health.v1.Health/Check over @grpc/grpc-js.
//
// @grpc/grpc-js costs tens of milliseconds to load, so it is loaded here, and only when
// a check needs it; callers still import this module lazily (`await import(...)`) so
// that commands which never talk to the daemon do not even parse it.

import type * as Grpc from "@grpc/grpc-js";
import {
  cancelledCheck,
  checkResult,
  DEFAULT_DEADLINE_MS,
  waitUntilAnswers,
  type DaemonCheck,
  type HealthTarget,
  type WaitOptions,
} from "./check.ts";
import {
  HEALTH_CHECK_PATH,
  ServingStatus,
  decodeHealthCheckResponse,
  encodeHealthCheckRequest,
  servingStatusName,
  type HealthCheckRequest,
  type HealthCheckResponse,
} from "./health-protocol.ts";
import { describeNetworkError, noAnswerWithin, splitEndpoint, tcpConnectFailure } from "./tcp.ts";

type GrpcModule = typeof Grpc;
let grpcModule: Promise<GrpcModule> | null = null;
const loadGrpc = () => (grpcModule ??= import("@grpc/grpc-js"));

export { DEFAULT_DEADLINE_MS, daemonAnswers, type DaemonCheck, type DaemonStatus, type HealthTarget } from "./check.ts";

export interface CheckOptions extends HealthTarget {
  deadlineMs?: number;
  signal?: AbortSignal;
  /**
   * Whether a bare TCP connect goes first (the default: see HealthProbe). A caller that expects the service up,
   * and loads gRPC either way, skips it: the connect, and the wait for it before gRPC may load, cost ~3 ms of a
   * start (bench/RESULTS.md, session 14).
   */
  tcpLookFirst?: boolean;
}

/** One Health/Check on a channel of its own, closed before returning; an aborted `signal` ends it as "check cancelled". */
export async function checkDaemon(endpoint: string, options: CheckOptions = {}): Promise<DaemonCheck> {
  const probe = new HealthProbe(endpoint, options.service, { tcpLookFirst: options.tcpLookFirst });
  try {
    return await probe.check(options.deadlineMs ?? DEFAULT_DEADLINE_MS, options.signal);
  } finally {
    probe.close();
  }
}

export interface WaitForDaemonOptions extends WaitOptions, HealthTarget {}

/**
 * Checks until the daemon answers (`serving` or `reachable`) or `timeoutMs` has passed,
 * and returns the last check, on one channel: see waitUntilAnswers.
 */
export async function waitForDaemon(endpoint: string, options: WaitForDaemonOptions): Promise<DaemonCheck> {
  const probe = new HealthProbe(endpoint, options.service);
  try {
    return await waitUntilAnswers((deadlineMs, signal) => probe.check(deadlineMs, signal), options);
  } finally {
    probe.close();
  }
}

/**
 * A channel to one endpoint and the health call on it, turning every outcome into a
 * DaemonCheck. Reused across checks by waitForDaemon and by the supervisor's health checker process.
 *
 * While no channel is open, a bare TCP connect goes first (see tcp.ts), unless the caller turns it
 * off (CheckOptions.tcpLookFirst): when nothing listens, that is the answer, and gRPC is not loaded.
 * A call that finds no connection closes the channel, so grpc-js does not keep reconnecting in the
 * background between checks: for a supervisor whose daemon is down, that was most of its idle CPU.
 */
export class HealthProbe {
  #client: Grpc.Client | null = null;
  readonly #address: { host: string; port: number } | null;
  readonly #tcpLookFirst: boolean;

  constructor(
    readonly endpoint: string,
    readonly service = "",
    { tcpLookFirst = true }: Pick<CheckOptions, "tcpLookFirst"> = {},
  ) {
    this.#address = splitEndpoint(endpoint);
    this.#tcpLookFirst = tcpLookFirst;
  }

  async check(deadlineMs: number, signal?: AbortSignal): Promise<DaemonCheck> {
    const startedAt = performance.now();
    if (!this.#client && this.#address && this.#tcpLookFirst) {
      // Aborted, the look answers "check cancelled" itself.
      const failure = await tcpConnectFailure(this.#address.host, this.#address.port, deadlineMs, signal);
      if (failure) return checkResult(this.endpoint, "unreachable", failure);
    }
    // One deadline for the whole check, the TCP look included.
    return this.#call(Math.max(deadlineMs - (performance.now() - startedAt), 1), signal);
  }

  async #call(deadlineMs: number, signal?: AbortSignal): Promise<DaemonCheck> {
    const grpc = await loadGrpc();
    if (signal?.aborted) return cancelledCheck(this.endpoint);
    let client: Grpc.Client;
    try {
      client = this.#open(grpc);
    } catch (error) {
      return checkResult(this.endpoint, "unreachable", `invalid endpoint: ${(error as Error).message}`);
    }
    return new Promise((resolve) => {
      const cancel = () => call.cancel();
      const call = client.makeUnaryRequest<HealthCheckRequest, HealthCheckResponse>(
        HEALTH_CHECK_PATH,
        encodeHealthCheckRequest,
        decodeHealthCheckResponse,
        { service: this.service },
        new grpc.Metadata(),
        { deadline: Date.now() + deadlineMs },
        (error, response) => {
          signal?.removeEventListener("abort", cancel);
          // No connection: the next check starts with a TCP look again. A deadline keeps the channel,
          // whose connection attempt may be one that cannot be ended (see close()).
          if (error?.code === grpc.status.UNAVAILABLE) this.close();
          resolve(error ? fromError(grpc, this.endpoint, error, deadlineMs) : fromResponse(this.endpoint, response!));
        },
      );
      signal?.addEventListener("abort", cancel, { once: true });
    });
  }

  /**
   * Ends the channel and its connection. One exception, outside this code: a connection
   * whose peer accepted TCP but never sent its HTTP/2 SETTINGS stays open under Bun 1.4,
   * whose http2 client ignores destroy() before the handshake (and grpc-js sets no
   * handshake timeout, grpc/grpc-node#2785). grpc-js unrefs it, so it never keeps a
   * process alive, and waitForDaemon and the health checker process (one per endpoint) reuse
   * one channel, so such sockets do not pile up; the checker process is short-lived besides.
   */
  close(): void {
    this.#client?.close();
    this.#client = null;
  }

  #open(grpc: GrpcModule): Grpc.Client {
    this.#client ??= new grpc.Client(this.endpoint, grpc.credentials.createInsecure(), {
      // Calls fail at once while the connection is down (waitForReady is off by default),
      // so a refused port answers in milliseconds; these keep reconnecting quick enough
      // that the watcher sees a daemon come back within a tick or two.
      "grpc.initial_reconnect_backoff_ms": 250,
      "grpc.max_reconnect_backoff_ms": 2000,
      "grpc.dns_min_time_between_resolutions_ms": 1000,
      // No DNS TXT lookup for a service config: one round-trip less, and none is published.
      "grpc.service_config_disable_resolution": 1,
      // The daemon is local: an http_proxy / https_proxy set for the user's other traffic
      // must not carry this check (grpc-js would honour it unless no_proxy lists the host),
      // and the TCP look in checkDaemon goes direct too.
      "grpc.enable_http_proxy": 0,
    });
    return this.#client;
  }
}

function fromResponse(endpoint: string, response: HealthCheckResponse): DaemonCheck {
  if (response.status === ServingStatus.SERVING) return checkResult(endpoint, "serving", null);
  return checkResult(endpoint, "not-serving", `health check answered ${servingStatusName(response.status)}`);
}

function fromError(grpc: GrpcModule, endpoint: string, error: Grpc.ServiceError, deadlineMs: number): DaemonCheck {
  const details = error.details ?? "";
  // grpc-js turns an HTTP answer without gRPC status into a gRPC code (404 becomes
  // UNIMPLEMENTED), which would pass a web server on the port off as a daemon.
  const httpStatus = /Received HTTP status code (\d+)/.exec(details)?.[1];
  if (httpStatus) return checkResult(endpoint, "unreachable", `the port answers HTTP ${httpStatus}, not gRPC`);
  switch (error.code) {
    case grpc.status.UNIMPLEMENTED:
      return checkResult(endpoint, "reachable", "answers gRPC, but has no health service");
    case grpc.status.DEADLINE_EXCEEDED:
      return checkResult(endpoint, "unreachable", noAnswerWithin(deadlineMs));
    case grpc.status.UNAVAILABLE:
      return checkResult(endpoint, "unreachable", describeUnavailable(endpoint, details));
    case grpc.status.CANCELLED:
      return cancelledCheck(endpoint);
    case grpc.status.NOT_FOUND:
      // What a health service answers for a service name it does not know.
      return checkResult(endpoint, "not-serving", "health service does not know the overall status");
    default:
      return checkResult(endpoint, "not-serving", `health check failed: ${grpc.status[error.code]}${details ? `: ${details}` : ""}`);
  }
}

/** grpc-js reports the cause as Node error text inside its own message; pick out the cause. */
function describeUnavailable(endpoint: string, details: string): string {
  if (details.includes("Name resolution failed")) return `cannot resolve host ${splitEndpoint(endpoint)?.host ?? endpoint}`;
  const networkError = describeNetworkError(details, splitEndpoint(endpoint)?.host ?? endpoint);
  if (networkError) return networkError;
  // An HTTP/1 server's "400 Bad Request" to the HTTP/2 preface.
  if (details.includes("Protocol error")) return "the port does not speak HTTP/2, so not gRPC";
  const lastError = /Last error: (?:Error: )?(.*?)(?:\. Resolution note:.*)?$/.exec(details)?.[1] ?? details;
  // grpc-js stamps the time on connection errors; checkedAt already says when.
  return lastError.replace(/ \(\d{4}-\d\d-\d\dT[^)]*\)$/, "") || "unavailable";
}
