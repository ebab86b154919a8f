import { formatDuration } from "../../cli/duration.ts";
import type { Component, ComponentEvent, ReadyOutcome } from "../process/component.ts";
import type { ComponentState, Exit } from "../process/machine.ts";

export interface SupervisorLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** How the start of the stack ended: all ready, or the first component that was not, and why. */
export type StackStart = { ready: true } | { ready: false; component: Component; outcome: Exclude<ReadyOutcome, { kind: "ready" }> };

/**
 * An ordered list of components: started first to last, stopped last to first,
 * so a component can rely on the ones before it (the runner on Temporal and stigmer-server).
 */
export class Supervisor {
  constructor(readonly components: readonly Component[]) {}

  /**
   * Each component is started once the one before it is ready, and gets `readyWithinMs(component)`
   * to become ready itself. The first that dies first or takes too long ends the start: a runner
   * that cannot come up now will not come up by waiting through its backoff.
   */
  async start(readyWithinMs: (component: Component) => number): Promise<StackStart> {
    for (const component of this.components) {
      component.start();
      const outcome = await component.untilReady(readyWithinMs(component));
      if (outcome.kind !== "ready") return { ready: false, component, outcome };
    }
    return { ready: true };
  }

  find(name: string): Component | undefined {
    return this.components.find((component) => component.spec.name === name);
  }

  async stop(): Promise<void> {
    for (const component of [...this.components].reverse()) await component.stop();
  }

  /** The first component that stops for good on its own, and how. */
  settled(): Promise<{ component: Component; state: ComponentState }> {
    return Promise.race(this.components.map((component) => component.settled.then((state) => ({ component, state }))));
  }
}

export function describeExit(exit: Exit): string {
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
  return `${how} after ${formatDuration(exit.uptimeMs)}`;
}

/** One log line per event, at the level it deserves. */
export function logEvent(log: SupervisorLog, component: Component, event: ComponentEvent): void {
  const name = component.spec.name;
  switch (event.type) {
    case "spawned":
      log.info(`${name} started (pid ${event.pid}): ${component.command.join(" ")}`);
      return;
    case "ready":
      log.info(`${name} ready (pid ${event.pid}, ${formatDuration(event.afterMs)} after its start)`);
      return;
    case "exited": {
      const what = event.error ?? describeExit(event.exit);
      if (event.next === "restart") {
        const { quickFailures } = component.status;
        const streak = quickFailures > 0 ? ` (quick failure ${quickFailures} of ${component.spec.policy.maxRestarts} allowed)` : "";
        log.warn(`${name} ${what}; restarting in ${formatDuration(event.delayMs)}${streak}`);
      } else if (event.next === "fail") {
        log.error(`${name} ${what}; giving up`);
      } else {
        log.info(`${name} ${what}; not restarting (--restart ${component.spec.policy.mode})`);
      }
      return;
    }
    case "stopping":
      log.info(`stopping ${name} (pid ${event.pid}) …`);
      return;
    case "stopped":
      log.info(event.forced ? `${name} stopped (killed after --stop-timeout)` : `${name} stopped`);
      return;
  }
}
