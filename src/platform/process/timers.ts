// Timers on the runtime's globals, the same under Bun and Deno. Not node:timers or
// node:timers/promises: under Bun each is a module built on first use whose code stays resident
// in the background supervisor all day (bench --probes: node:url and the two timer modules, each
// used once, +0.6 MiB). Deno's global setTimeout returns a number, which has no `unref`.

type DenoTimers = { unrefTimer(id: number): void };

export type TimerHandle = ReturnType<typeof setTimeout>;

/** Calls `fn` after `ms` without keeping the process alive for it. */
export function unrefTimeout(fn: () => void, ms: number): TimerHandle {
  const timer = setTimeout(fn, ms);
  if (typeof timer === "object") timer.unref();
  else (globalThis as { Deno?: DenoTimers }).Deno?.unrefTimer(timer as number);
  return timer;
}

/**
 * Resolves after `ms`, or at once when `signal` aborts (never rejects). `unref`: the wait does
 * not keep the process alive by itself.
 */
export function sleep(ms: number, options: { signal?: AbortSignal; unref?: boolean } = {}): Promise<void> {
  const { signal, unref = false } = options;
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = unref ? unrefTimeout(done, ms) : setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
