// The masked prompt in a real terminal: tmux runs the command, the test types into it and
// reads the screen. Nothing of the key may ever be on screen.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import path from "node:path";
import { ROOT, cleanupAll, runCli, stigmerBin, waitFor } from "../helpers.ts";
import { filesContaining, startKeyringSession, Tmux, type KeyringSession } from "./session.ts";

const TYPED = "sk-typed-Wq3";
/** Long enough that tmux hands it over in one write, as a terminal does with a paste. */
const PASTED = "Pasted-Kx7Vb2Nm9Lp4Rt6Yh1Jc8Df5Gs0Az3-Ue2Io9";
/** What was meant after one backspace over the last typed character. */
const KEY = `${TYPED.slice(0, -1)}${PASTED}`;
const PROMPT = "Enter TEST_KEY (input hidden): ";

let session: KeyringSession;
let terminal: Tmux;

beforeEach(async () => {
  session = await startKeyringSession();
  terminal = new Tmux();
});

afterEach(() => {
  terminal.stop();
  expect(filesContaining(session.stigmerHome, KEY)).toEqual([]);
  expect(filesContaining(session.home, KEY)).toEqual([]);
  session.stop();
  cleanupAll();
});

/** Every 5-character piece of the key: none may appear on screen. */
function expectNothingOfTheKey(screen: string, ...keys: string[]): void {
  for (const key of keys) {
    for (let at = 0; at + 5 <= key.length; at++) expect(screen).not.toContain(key.slice(at, at + 5));
  }
}

/** The shell line run in the terminal: the command, its exit code, then whether echo and canonical mode are back. */
function inTerminal(command: string): string {
  const modes = `stty -a | tr ' ' '\\n' | grep -x -e icanon -e -icanon -e echo -e -echo | tr '\\n' ' '`;
  // One line, written at once, so the screen never shows the exit code without the modes.
  return `${command}; code=$?; echo "EXIT=$code TTY=$(${modes})END"; exec sleep 120`;
}

async function screenWith(text: string): Promise<string> {
  return waitFor(`"${text}" on screen`, () => {
    const screen = terminal.screen();
    return screen.includes(text) ? screen : undefined;
  });
}

function revealed(): string {
  return runCli(["secrets", "get", "TEST_KEY", "--reveal"], session.env).stdout;
}

describe("stigmer secrets set on a terminal", () => {
  test("typed, corrected with backspace and pasted: stored, and nothing of it echoed", async () => {
    terminal.start(inTerminal(`${stigmerBin()} secrets set TEST_KEY`), session.env);
    await screenWith(PROMPT);
    terminal.type(TYPED);
    terminal.keys("BSpace");
    terminal.type(PASTED);
    await screenWith("*".repeat(KEY.length));
    terminal.keys("Enter");
    const screen = await screenWith("END");
    expect(screen).toContain("Stored TEST_KEY in the system keyring.");
    expect(screen).toContain("EXIT=0");
    expect(screen).toContain("TTY=icanon echo END");
    expectNothingOfTheKey(screen, KEY, TYPED);
    expect(revealed()).toBe(`${KEY}\n`);
  }, 30_000);

  // Ctrl-D after part of a key once stored that part: both keys cancel.
  test.each(["C-c", "C-d"])("%s after part of a key cancels: exit 1, terminal restored, nothing stored", async (key) => {
    terminal.start(inTerminal(`${stigmerBin()} secrets set TEST_KEY`), session.env);
    await screenWith(PROMPT);
    terminal.type(TYPED);
    await screenWith(`${PROMPT}${"*".repeat(TYPED.length)}`);
    terminal.keys(key);
    const screen = await screenWith("END");
    expect(screen).toContain("Cancelled.");
    expect(screen).toContain("EXIT=1");
    expect(screen).toContain("TTY=icanon echo END");
    expectNothingOfTheKey(screen, TYPED);
    expect(runCli(["secrets", "get", "TEST_KEY"], session.env).code).toBe(1);
  }, 30_000);


  test("an empty line and a multi-line paste are refused and asked again; Ctrl-D on an empty line cancels", async () => {
    terminal.start(inTerminal(`${stigmerBin()} secrets set TEST_KEY`), session.env);
    await screenWith(PROMPT);
    terminal.keys("Enter");
    await screenWith("The key is empty; try again.");
    terminal.type(`${KEY}\rsecond-line-Zx81`);
    await screenWith("The key spans more than one line; try again.");
    terminal.keys("C-d");
    const screen = await screenWith("END");
    expect(screen).toContain("Cancelled.");
    expect(screen).toContain("EXIT=1");
    expect(screen).toContain("TTY=icanon echo END");
    expectNothingOfTheKey(screen, KEY, "second-line-Zx81");
    expect(runCli(["secrets", "get", "TEST_KEY"], session.env).code).toBe(1);
  }, 30_000);
});

describe("the prompt of the key chain (source, under Bun)", () => {
  const fixture = `cd ${ROOT} && ${process.execPath} test/fixtures/keys-prompt.ts TEST_KEY`;

  test("Enter at the save question takes the default, yes: the key is saved", async () => {
    terminal.start(inTerminal(fixture), session.env);
    await screenWith(PROMPT);
    terminal.type(KEY);
    terminal.keys("Enter");
    await screenWith("Save to the system keyring? [Y/n] ");
    terminal.keys("Enter");
    const screen = await screenWith("END");
    const digest = createHash("sha256").update(KEY).digest("hex");
    expect(screen).toContain(`received sha256=${digest} save="saved"`);
    expect(screen).toContain("EXIT=0");
    expect(screen).toContain("TTY=icanon echo END");
    expectNothingOfTheKey(screen, KEY);
    expect(revealed()).toBe(`${KEY}\n`);
    expect(runCli(["secrets", "list"], session.env).stdout).toBe("TEST_KEY\n");
  }, 30_000);

  test("n at the save question stores nothing", async () => {
    terminal.start(inTerminal(fixture), session.env);
    await screenWith(PROMPT);
    terminal.type(KEY);
    terminal.keys("Enter");
    await screenWith("Save to the system keyring? [Y/n] ");
    terminal.type("n");
    terminal.keys("Enter");
    const screen = await screenWith("END");
    expect(screen).toContain('save="declined"');
    expectNothingOfTheKey(screen, KEY);
    expect(runCli(["secrets", "get", "TEST_KEY"], session.env).code).toBe(1);
  }, 30_000);
});

/** Deno comes from the npm package `deno`, a pinned dev dependency. */
const deno = path.join(ROOT, "node_modules", ".bin", "deno");

describe("the prompt of the key chain (source, under Deno)", () => {
  test("typed, corrected and pasted, then saved: received whole, nothing echoed", async () => {
    terminal.start(inTerminal(`cd ${ROOT} && ${deno} run --allow-all --no-lock test/fixtures/keys-prompt.ts TEST_KEY`), session.env);
    await waitFor("the prompt", () => terminal.screen().includes(PROMPT), 60_000);
    terminal.type(TYPED);
    terminal.keys("BSpace");
    terminal.type(PASTED);
    await screenWith("*".repeat(KEY.length));
    terminal.keys("Enter");
    await screenWith("Save to the system keyring? [Y/n] ");
    terminal.type("y");
    terminal.keys("Enter");
    const screen = await screenWith("END");
    const digest = createHash("sha256").update(KEY).digest("hex");
    expect(screen).toContain(`received sha256=${digest} save="saved"`);
    expect(screen).toContain("TTY=icanon echo END");
    expectNothingOfTheKey(screen, KEY, TYPED);
    expect(revealed()).toBe(`${KEY}\n`);
  }, 90_000);
});
