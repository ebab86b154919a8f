import { writeSync } from "node:fs";
import { closeQuietly, openPrivateAppend } from "./state-dir.ts";

/**
 * An append-only log file. A write that fails (disk full, file removed) is reported once
 * through `onError` and the bytes are dropped: logging must never stop the runner.
 */
export class LogFile {
  private fd: number;
  private failing = false;

  constructor(
    readonly path: string,
    private readonly onError: (message: string) => void = () => {},
  ) {
    this.fd = openPrivateAppend(path);
  }

  write(bytes: Buffer | string): void {
    try {
      const data = typeof bytes === "string" ? Buffer.from(bytes) : bytes;
      let written = 0;
      while (written < data.length) written += writeSync(this.fd, data, written);
      if (this.failing) {
        this.failing = false;
        this.onError(`writing ${this.path} works again`);
      }
    } catch (error) {
      if (!this.failing) {
        this.failing = true;
        this.onError(`cannot write ${this.path}: ${(error as Error).message}; dropping log lines until it works again`);
      }
    }
  }

  close(): void {
    closeQuietly(this.fd);
  }
}

/** One supervisor log line: ISO-8601 UTC time, level, message. */
export function supervisorLine(level: "info" | "warn" | "error", message: string, now = new Date()): string {
  return `${now.toISOString()} ${level.padEnd(5)} ${message}\n`;
}
