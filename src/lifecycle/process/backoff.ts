export interface BackoffSettings {
  /** Delay before the first restart after a quick failure (`--restart-delay`). */
  baseMs: number;
  /** Ceiling of the doubled delay (`--max-restart-delay`). */
  maxMs: number;
}

/** Jitter spreads restarts of many runners apart; ±20 % of the delay. */
export const JITTER = 0.2;

/**
 * Delay before restarting after the n-th consecutive quick failure (n ≥ 1): `min(max, base·2^(n-1))`
 * with ±20 % jitter, capped again after the jitter so that it never exceeds `--max-restart-delay`.
 * Capping before the jitter too keeps restarts spread at the cap (over 80–100 % of it) instead of
 * all landing on it. `random` is in [0, 1).
 */
export function restartDelayMs(n: number, settings: BackoffSettings, random: number): number {
  const exponent = Math.max(0, n - 1);
  const doubled = settings.baseMs * 2 ** Math.min(exponent, 52);
  const jittered = Math.min(settings.maxMs, doubled) * (1 - JITTER + 2 * JITTER * random);
  return Math.round(Math.min(settings.maxMs, jittered));
}
