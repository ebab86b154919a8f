export interface BackoffSettings {
  /** Delay before the first restart after a quick failure (`--restart-delay`). */
  baseMs: number;
  /** Ceiling of the doubled delay (`--max-restart-delay`). */
  maxMs: number;
}

/** Jitter spreads restarts of many runners apart; ±20 % of the delay. */
export const JITTER = 0.2;

/**
 * Delay before restarting after the n-th consecutive quick failure (n ≥ 1):
 * `min(max, base·2^(n-1))`, then ±20 % jitter. `random` is in [0, 1).
 */
export function restartDelayMs(n: number, settings: BackoffSettings, random: number): number {
  const exponent = Math.max(0, n - 1);
  const doubled = settings.baseMs * 2 ** Math.min(exponent, 52);
  const capped = Math.min(settings.maxMs, doubled);
  const factor = 1 - JITTER + 2 * JITTER * random;
  return Math.round(capped * factor);
}
