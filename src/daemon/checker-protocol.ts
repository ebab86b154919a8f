// The lines the supervisor and its health checker process exchange (checker.ts, check-server.ts):
// one JSON object per line each way. No gRPC here.
import type { DaemonCheck } from "./check.ts";

export type CheckerRequest = { id: number; endpoint: string; service: string; deadlineMs: number } | { cancel: number };

export interface CheckerAnswer {
  id: number;
  check: DaemonCheck;
}

/** A request line, or null for anything else: the process only ever hears from its own supervisor, but a bad line must not end it. */
export function parseRequest(line: string): CheckerRequest | null {
  try {
    const value = JSON.parse(line) as Record<string, unknown>;
    if (typeof value.cancel === "number") return { cancel: value.cancel };
    const { id, endpoint, service, deadlineMs } = value;
    if (typeof id === "number" && typeof endpoint === "string" && typeof service === "string" && typeof deadlineMs === "number") {
      return { id, endpoint, service, deadlineMs };
    }
  } catch {
    // Not JSON: ignored below.
  }
  return null;
}

/** An answer line, or null when it is not one. */
export function parseAnswer(line: string): CheckerAnswer | null {
  try {
    const value = JSON.parse(line) as Partial<CheckerAnswer>;
    if (typeof value.id === "number" && typeof value.check?.status === "string") return value as CheckerAnswer;
  } catch {
    // Not JSON.
  }
  return null;
}

/** Splits a byte stream into lines; the last, unfinished one is kept for the next chunk. */
export class LineSplitter {
  #rest = "";

  push(chunk: string): string[] {
    const lines = (this.#rest + chunk).split("\n");
    this.#rest = lines.pop()!;
    return lines.filter((line) => line.length > 0);
  }
}
