// Whether stdin is a terminal (src/platform/process/terminal.ts), asked in real processes: /dev/null and a pipe are
// not, a tmux pane is; and `local __health-checks`, which only its supervisor may run, refuses a terminal.
import { afterEach, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { openSync } from "node:fs";
import path from "node:path";
import { ROOT, cleanEnv, stigmerBin, waitFor } from "./helpers.ts";
import { Tmux } from "./secrets/session.ts";

const ASK = `import { stdinIsTerminal } from ${JSON.stringify(path.join(ROOT, "src", "platform", "process", "terminal.ts"))}; console.log("terminal=" + stdinIsTerminal());`;

let terminal: Tmux | undefined;
afterEach(() => terminal?.stop());

async function inPane(command: string, expected: string): Promise<string> {
  terminal = new Tmux();
  terminal.start(`${command}; echo "EXIT=$?"; exec sleep 60`, cleanEnv());
  return waitFor(`"${expected}" on screen`, () => {
    const screen = terminal!.screen();
    return screen.includes(expected) && screen.includes("EXIT=") ? screen : undefined;
  });
}

test("/dev/null and a pipe are no terminal; a tmux pane is", async () => {
  const devNull = spawnSync(process.execPath, ["-e", ASK], { stdio: [openSync("/dev/null", "r"), "pipe", "pipe"], encoding: "utf8" });
  expect(devNull.stdout).toBe("terminal=false\n");
  const pipe = spawnSync(process.execPath, ["-e", ASK], { input: "", encoding: "utf8" });
  expect(pipe.stdout).toBe("terminal=false\n");
  const screen = await inPane(`'${process.execPath}' -e '${ASK}'`, "terminal=");
  expect(screen).toContain("terminal=true");
});

test("local __health-checks refuses a terminal, and serves a pipe until it ends", async () => {
  const screen = await inPane(`'${stigmerBin()}' local __health-checks`, "not by hand");
  expect(screen).toContain("This command is run by the supervisor, not by hand.");
  expect(screen).toContain("EXIT=2");
  const served = spawnSync(stigmerBin(), ["local", "__health-checks"], { input: "", encoding: "utf8", env: cleanEnv(), timeout: 30_000 });
  expect(served.status).toBe(0);
});
