/** Exit codes of the command-line contract (shared/DESIGN.md). */
export const ExitCode = {
  ok: 0,
  error: 1,
  usage: 2,
  notRunning: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * The one error type users see: what failed, and what to do next.
 * Anything else that escapes is a bug and is reported as one.
 */
export class StigmerError extends Error {
  readonly fix: string | undefined;
  readonly exitCode: ExitCode;

  constructor(message: string, options: { fix?: string; exitCode?: ExitCode; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "StigmerError";
    this.fix = options.fix;
    this.exitCode = options.exitCode ?? ExitCode.error;
  }
}

export function usageError(message: string, fix?: string): StigmerError {
  return new StigmerError(message, { fix, exitCode: ExitCode.usage });
}
