import { spawn, type ChildProcess } from "node:child_process";

/**
 * Kills the runner's process groups when the supervisor dies without stopping them
 * (SIGKILL, a crash, the OOM killer). A small `sh` in its own session reads the current
 * group ids from a pipe whose only writer is the supervisor: when the supervisor dies,
 * the kernel closes that pipe, `read` sees the end, and the groups get SIGTERM, then SIGKILL.
 * A clean shutdown sends an empty list first, so nothing is killed. Not on Windows.
 */
const GUARD_SCRIPT = `
groups=""
while IFS= read -r line; do groups="$line"; done
[ -n "$groups" ] || exit 0
for g in $groups; do kill -TERM -"$g" 2>/dev/null; done
sleep 2
for g in $groups; do kill -KILL -"$g" 2>/dev/null; done
exit 0
`;

export class OrphanGuard {
  private readonly guard: ChildProcess | null;

  constructor() {
    if (process.platform === "win32") {
      this.guard = null;
      return;
    }
    this.guard = spawn("/bin/sh", ["-c", GUARD_SCRIPT], { detached: true, stdio: ["pipe", "ignore", "ignore"] });
    this.guard.on("error", () => {});
    this.guard.stdin!.on("error", () => {});
    this.guard.unref();
    (this.guard.stdin as unknown as { unref?: () => void }).unref?.();
  }

  get pid(): number | null {
    return this.guard?.pid ?? null;
  }

  /** The process groups to kill if we die now. */
  watch(groups: readonly number[]): void {
    this.guard?.stdin?.write(`${groups.filter((group) => group > 0).join(" ")}\n`);
  }

  /** Clean shutdown: the groups are already stopped; the guard exits without killing. */
  close(): void {
    if (!this.guard?.stdin) return;
    this.guard.stdin.end("\n");
  }
}
