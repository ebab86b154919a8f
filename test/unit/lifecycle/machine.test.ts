import { describe, expect, test } from "bun:test";
import {
  decideAfterExit,
  initialStatus,
  restarted,
  restartRequested,
  type ComponentStatus,
  type Exit,
  type RestartPolicy,
} from "../../../src/lifecycle/process/machine.ts";

const policy: RestartPolicy = { mode: "on-failure", baseMs: 1000, maxMs: 30_000, minUptimeMs: 30_000, maxRestarts: 3 };
const crash: Exit = { code: 1, signal: null, uptimeMs: 100, ready: true };
const clean: Exit = { code: 0, signal: null, uptimeMs: 100, ready: true };
const killed: Exit = { code: null, signal: "SIGKILL", uptimeMs: 100, ready: true };
const running = (overrides: Partial<ComponentStatus> = {}): ComponentStatus => ({ ...initialStatus(), state: "running", ...overrides });

describe("decideAfterExit", () => {
  test("on-failure restarts a crash with the base delay and counts the quick failure", () => {
    const decision = decideAfterExit(running(), crash, policy, 0.5);
    expect(decision).toEqual({
      action: "restart",
      delayMs: 1000,
      status: { state: "backoff", restarts: 0, quickFailures: 1, lastExit: crash },
    });
  });

  test("a signal death is a failure", () => {
    expect(decideAfterExit(running(), killed, policy, 0.5).action).toBe("restart");
  });

  test("on-failure leaves a clean exit stopped", () => {
    const decision = decideAfterExit(running(), clean, policy, 0.5);
    expect(decision.action).toBe("stop");
    expect(decision.status.state).toBe("stopped");
  });

  test("always restarts a clean exit too", () => {
    expect(decideAfterExit(running(), clean, { ...policy, mode: "always" }, 0.5).action).toBe("restart");
  });

  test("never: a crash is failed, a clean exit stopped, neither restarted", () => {
    const never = { ...policy, mode: "never" as const };
    expect(decideAfterExit(running(), crash, never, 0.5).status.state).toBe("failed");
    expect(decideAfterExit(running(), clean, never, 0.5).status.state).toBe("stopped");
  });

  test("N restarts after quick runs are allowed, the next quick death fails: N + 1 runs at most", () => {
    let status = running();
    const delays: number[] = [];
    let runs = 1;
    for (;;) {
      const decision = decideAfterExit(status, crash, policy, 0.5);
      if (decision.action !== "restart") {
        expect(decision.action).toBe("fail");
        expect(decision.status.state).toBe("failed");
        break;
      }
      delays.push(decision.delayMs);
      status = restarted(decision.status);
      runs += 1;
    }
    expect(runs).toBe(policy.maxRestarts + 1);
    expect(delays).toEqual([1000, 2000, 4000]);
    expect(status.restarts).toBe(3);
  });

  test("a run longer than min-uptime resets the streak", () => {
    const long: Exit = { code: 1, signal: null, uptimeMs: 31_000, ready: true };
    const decision = decideAfterExit(running({ quickFailures: 3 }), long, policy, 0.5);
    expect(decision).toMatchObject({ action: "restart", delayMs: 1000, status: { quickFailures: 0 } });
  });

  test("a long run that never became ready is still a quick failure", () => {
    const neverReady: Exit = { code: 1, signal: null, uptimeMs: 31_000, ready: false };
    const decision = decideAfterExit(running({ quickFailures: 2 }), neverReady, policy, 0.5);
    expect(decision).toMatchObject({ action: "restart", delayMs: 4000, status: { quickFailures: 3 } });
    expect(decideAfterExit(running({ quickFailures: 3 }), neverReady, policy, 0.5).action).toBe("fail");
  });

  test("max-restarts 0 fails at the first quick death", () => {
    expect(decideAfterExit(running(), crash, { ...policy, maxRestarts: 0 }, 0.5).action).toBe("fail");
  });
});

describe("restarts", () => {
  test("every restart counts, and a requested one clears the failure streak", () => {
    const failed = running({ state: "failed", quickFailures: 4, restarts: 3 });
    expect(restarted(failed)).toMatchObject({ state: "starting", restarts: 4, quickFailures: 4 });
    expect(restartRequested(failed)).toMatchObject({ state: "starting", restarts: 4, quickFailures: 0 });
  });
});
