// The OS keyring (macOS Keychain, Windows Credential Manager, the Secret Service on Linux)
// through @napi-rs/keyring: service `stigmer`, account = the key's variable name.
//
// Missing versus unavailable. `getPassword` resolves null both when nothing is stored and
// when the store cannot be read, so it is not used. Instead:
//  - On Linux the entry is pinned to the Secret Service (`linux.store: "secret-service"`):
//    the constructor then throws when there is no Secret Service, instead of silently
//    falling back to the kernel keyring, which forgets everything at reboot.
//  - `getSecret` resolves null only when nothing is stored, and rejects when the store is
//    locked or cannot be read.
//  - Every call runs under a timeout: a locked keyring waiting for an unlock dialog, or a
//    hung service, is reported as unavailable rather than hanging the start.
// The pinned constructor is synchronous and would block forever on a session bus that
// accepts the connection but never answers, so on Linux the bus is first probed here with
// an asynchronous handshake under the same timeout. A bus that answers but whose Secret
// Service hangs costs at most the library's own D-Bus reply timeout (about 2 s).
import { Buffer } from "node:buffer";
import { existsSync } from "node:fs";
import { connect, type Socket } from "node:net";
import type { AsyncEntry as AsyncEntryClass } from "@napi-rs/keyring";
import { StigmerError } from "../cli/errors.ts";
import type { KeyringAnswer } from "./chain.ts";

export const KEYRING_SERVICE = "stigmer";
/** The account holding the JSON list of stored names: keyrings cannot list by service everywhere. */
export const INDEX_ACCOUNT = "__stigmer_index__";
/** Long enough for a healthy keyring (milliseconds), short enough not to stall a start. */
export const KEYRING_TIMEOUT_MS = 3_000;
/**
 * For `stigmer secrets`, where the user asked for the keyring: long enough to answer the
 * desktop's unlock dialog. Headless, a locked keyring fails at once (no dialog can be shown),
 * and a dead bus is still caught by the probe within KEYRING_TIMEOUT_MS.
 */
export const INTERACTIVE_KEYRING_TIMEOUT_MS = 60_000;

type Env = Record<string, string | undefined>;

export function keyringDisabled(env: Env = process.env): boolean {
  return env.STIGMER_NO_KEYRING === "1";
}

/** The keyring could not be asked; `reason` is short enough to go into one warning line. */
export class KeyringUnavailable extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = "KeyringUnavailable";
  }
}

export interface Keyring {
  /** Why the last read found the keyring unavailable, if it did: no point offering to save then. */
  readonly unavailable: string | undefined;
  /** For `KeySources.keyring`: never throws. */
  read(name: string): Promise<KeyringAnswer>;
  /** Stores the value and records the name in the index. Throws KeyringUnavailable. */
  store(name: string, value: string): Promise<void>;
  /** True when something was deleted. Throws KeyringUnavailable. */
  remove(name: string): Promise<boolean>;
  /** The names stigmer stored that are still there, sorted. Throws KeyringUnavailable. */
  names(): Promise<string[]>;
}

export interface KeyringOptions {
  env?: Env;
  timeoutMs?: number;
}

export function systemKeyring(options: KeyringOptions = {}): Keyring {
  const env = options.env ?? process.env;
  const timeoutMs = options.timeoutMs ?? KEYRING_TIMEOUT_MS;
  let ready: Promise<typeof AsyncEntryClass> | undefined;
  const entryFor = async (account: string): Promise<AsyncEntryClass> => {
    ready ??= loadEntryClass(env, timeoutMs);
    const AsyncEntry = await ready;
    try {
      return new AsyncEntry(KEYRING_SERVICE, account, { linux: { store: "secret-service" } });
    } catch (error) {
      throw new KeyringUnavailable(describe(error));
    }
  };
  const call = async <T>(account: string, operation: (entry: AsyncEntryClass, signal: AbortSignal) => Promise<T>): Promise<T> => {
    const entry = await entryFor(account);
    return withTimeout(timeoutMs, (signal) => operation(entry, signal));
  };
  const readText = async (account: string): Promise<string | undefined> => {
    const bytes = await call(account, (entry, signal) => entry.getSecret(signal));
    return bytes === null ? undefined : Buffer.from(bytes).toString("utf8");
  };
  const readIndex = async (): Promise<string[]> => parseIndex(await readText(INDEX_ACCOUNT));
  const writeIndex = async (names: string[]): Promise<void> => {
    if (names.length === 0) await call(INDEX_ACCOUNT, (entry, signal) => entry.deleteCredential(signal));
    else await call(INDEX_ACCOUNT, (entry, signal) => entry.setPassword(JSON.stringify(names), signal));
  };

  let lastUnavailable: string | undefined;

  return {
    get unavailable() {
      return lastUnavailable;
    },
    async read(name) {
      try {
        const value = await readText(name);
        lastUnavailable = undefined;
        return value === undefined ? { missing: true } : { found: value };
      } catch (error) {
        lastUnavailable = error instanceof KeyringUnavailable ? error.reason : describe(error);
        return { unavailable: lastUnavailable };
      }
    },
    async store(name, value) {
      await call(name, (entry, signal) => entry.setPassword(value, signal));
      const index = await readIndex();
      if (!index.includes(name)) await writeIndex([...index, name].sort());
    },
    async remove(name) {
      const deleted = await call(name, (entry, signal) => entry.deleteCredential(signal));
      const index = await readIndex();
      if (index.includes(name)) await writeIndex(index.filter((stored) => stored !== name));
      return deleted;
    },
    async names() {
      const index = await readIndex();
      const present: string[] = [];
      // Verified one by one: an entry may have been removed with another tool since.
      for (const name of index) if ((await readText(name)) !== undefined) present.push(name);
      if (present.length !== index.length) await writeIndex(present);
      return present;
    },
  };
}

/** The keyring for `KeySources.keyring`, or undefined when `STIGMER_NO_KEYRING=1` switches it off. */
export function keyringSource(options: KeyringOptions = {}): ((name: string) => Promise<KeyringAnswer>) | undefined {
  if (keyringDisabled(options.env ?? process.env)) return undefined;
  const keyring = systemKeyring(options);
  return (name) => keyring.read(name);
}

/** What to tell a user whose keyring is unavailable, per platform. */
export function keyringFix(name?: string): string {
  const instead = `or export ${name ?? "the key's variable"}=… instead`;
  switch (process.platform) {
    case "linux":
      return `Run a Secret Service (gnome-keyring, KeePassXC, KWallet) in your D-Bus session and unlock it, ${instead}.`;
    case "darwin":
      return `Unlock your login keychain, ${instead}.`;
    default:
      return `Check that the system credential store is reachable, ${instead}.`;
  }
}

/** The user-facing error of the `secrets` commands when the keyring cannot be used. */
export function unavailableError(reason: string, name?: string): StigmerError {
  return new StigmerError(`The system keyring is unavailable: ${reason}.`, { fix: keyringFix(name) });
}

/** Turns KeyringUnavailable into that error; anything else passes unchanged. */
export function keyringError(error: unknown, name?: string): unknown {
  return error instanceof KeyringUnavailable ? unavailableError(error.reason, name) : error;
}

/** The names in the index account's JSON list; a damaged index is an empty list. */
export function parseIndex(text: string | undefined): string[] {
  if (text === undefined) return [];
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) ? parsed.filter((item): item is string => typeof item === "string") : [];
  } catch {
    // A damaged index only loses the listing; the entries themselves are intact.
    return [];
  }
}

async function loadEntryClass(env: Env, timeoutMs: number): Promise<typeof AsyncEntryClass> {
  if (process.platform === "linux") {
    const address = sessionBusAddress(env);
    if (address === undefined) throw new KeyringUnavailable("no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)");
    await probeBus(address, Math.min(timeoutMs, KEYRING_TIMEOUT_MS));
  }
  try {
    // Loaded here, not at the top: the native addon costs start-up time every other command does not need.
    const { AsyncEntry } = await import("@napi-rs/keyring");
    return AsyncEntry;
  } catch (error) {
    throw new KeyringUnavailable(`the keyring library did not load: ${describe(error)}`);
  }
}

async function withTimeout<T>(timeoutMs: number, operation: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  // Raced as well as aborted: a native call blocked in a thread may not notice the signal.
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new KeyringUnavailable(`no answer within ${timeoutMs / 1000} s (locked, or waiting for an unlock prompt?)`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([operation(controller.signal), timedOut]);
  } catch (error) {
    throw error instanceof KeyringUnavailable ? error : new KeyringUnavailable(describe(error));
  } finally {
    clearTimeout(timer);
  }
}

function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s+/g, " ").replace(/\.$/, "").trim();
}

/** The session bus libdbus would use: the variable, else the systemd per-user socket. */
export function sessionBusAddress(env: Env): string | undefined {
  if (env.DBUS_SESSION_BUS_ADDRESS) return env.DBUS_SESSION_BUS_ADDRESS;
  const runtimeBus = env.XDG_RUNTIME_DIR ? `${env.XDG_RUNTIME_DIR}/bus` : undefined;
  return runtimeBus !== undefined && existsSync(runtimeBus) ? `unix:path=${runtimeBus}` : undefined;
}

type SocketTarget = { path: string } | { host: string; port: number };

/** The first entry of a D-Bus address list (`unix:path=…,guid=…;tcp:…`) that a socket can reach. */
export function socketTarget(address: string): SocketTarget | undefined {
  for (const entry of address.split(";")) {
    const colon = entry.indexOf(":");
    const transport = entry.slice(0, colon);
    const keys = new Map(
      entry
        .slice(colon + 1)
        .split(",")
        .map((pair) => pair.split("=", 2).map(unescapeAddressValue) as [string, string]),
    );
    if (transport === "unix" && keys.get("path")) return { path: keys.get("path")! };
    if (transport === "unix" && keys.get("abstract")) return { path: `\0${keys.get("abstract")}` };
    if (transport === "tcp" && keys.get("port")) return { host: keys.get("host") || "localhost", port: Number(keys.get("port")) };
  }
  return undefined;
}

/** D-Bus escapes address values as %XX; a malformed escape is kept as written. */
function unescapeAddressValue(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Resolves when the bus answers the first step of the D-Bus handshake in time; throws KeyringUnavailable otherwise. */
async function probeBus(address: string, timeoutMs: number): Promise<void> {
  const target = socketTarget(address);
  // Transports a socket cannot reach (launchd:, unixexec:) are left to the library.
  if (target === undefined) return;
  await new Promise<void>((resolve, reject) => {
    const socket: Socket = connect(target);
    const fail = (reason: string) => {
      socket.destroy();
      reject(new KeyringUnavailable(reason));
    };
    const timer = setTimeout(() => fail(`the D-Bus session bus did not answer within ${timeoutMs / 1000} s`), timeoutMs);
    socket.once("connect", () => {
      const uid = String(process.getuid?.() ?? 0);
      // Any reply (OK or REJECTED) shows the bus is alive; the library authenticates on its own connection.
      socket.write(`\0AUTH EXTERNAL ${Buffer.from(uid).toString("hex")}\r\n`);
    });
    socket.once("data", () => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    });
    socket.once("error", (error) => {
      clearTimeout(timer);
      fail(`cannot reach the D-Bus session bus (${describe(error)})`);
    });
    socket.once("close", () => {
      clearTimeout(timer);
      fail("the D-Bus session bus closed the connection");
    });
  });
}
