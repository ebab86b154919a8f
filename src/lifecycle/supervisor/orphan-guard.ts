import { startChild, type Child } from "../../platform/process/spawn.ts";

/**
 * Kills the runner's process groups when the supervisor dies without stopping them
 * (SIGKILL, a crash, the OOM killer). A small `sh` in its own session reads the current
 * group ids from a pipe whose only writer is the supervisor: when the supervisor dies,
 * the kernel closes that pipe, `read` sees the end, and the groups get SIGTERM, then SIGKILL.
 * A clean shutdown sends an empty list first, so nothing is killed. Not on Windows.
 */
export const GUARD_SCRIPT = `
groups=""
while IFS= read -r line; do groups="$line"; done
[ -n "$groups" ] || exit 0
for g in $groups; do kill -TERM -"$g" 2>/dev/null; done
sleep 2
for g in $groups; do kill -KILL -"$g" 2>/dev/null; done
exit 0
`;

export class OrphanGuard {
  private readonly guard: Child | null;

  constructor() {
    if (process.platform === "win32") {
      this.guard = null;
      return;
    }
    this.guard = startChild("/bin/sh", ["-c", GUARD_SCRIPT], { detached: true, stdin: "pipe", stdout: "ignore", stderr: "ignore" });
    this.guard.unref();
  }

  get pid(): number | null {
    return this.guard && this.guard.pid > 0 ? this.guard.pid : null;
  }

  /** The process groups to kill if we die now. */
  watch(groups: readonly number[]): void {
    this.guard?.stdin?.write(`${groups.filter((group) => group > 0).join(" ")}\n`);
  }

  /** Clean shutdown: the groups are already stopped; the guard exits without killing. */
  close(): void {
    if (!this.guard?.stdin) return;
    this.guard.stdin.write("\n");
    this.guard.stdin.end();
  }
}
