// A private, real Secret Service per test: its own D-Bus session bus and an unlocked
// gnome-keyring, so the tests need not be started inside a D-Bus session and never touch
// the user's keyring. Needs dbus-run-session (dbus-daemon) and gnome-keyring-daemon.
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { cleanEnv, killGroupAtEnd, tempDir } from "../helpers.ts";

export interface KeyringSession {
  /** The CLI's environment: a clean one plus this session's bus, HOME and STIGMER_HOME, keyring on. */
  env: Record<string, string>;
  home: string;
  stigmerHome: string;
  stop(): void;
}

/**
 * gnome-keyring creates the default collection ("login") only when unlocked with a password,
 * so the password is fed to `--unlock`; without it, writes fail with "no result found".
 */
const START_KEYRING = `printf %s test-password | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1
echo "$DBUS_SESSION_BUS_ADDRESS"
exec sleep 600`;

/** The environment of a test without any D-Bus session, and private HOME and runtime directory. */
export function isolatedEnv(extra: Record<string, string | undefined> = {}): { env: Record<string, string>; home: string; stigmerHome: string } {
  const home = tempDir("stigmer-keys-home-");
  const runtimeDir = tempDir("stigmer-keys-run-");
  chmodSync(runtimeDir, 0o700);
  const stigmerHome = tempDir("stigmer-keys-state-");
  const env = cleanEnv({
    HOME: home,
    // Per test, so that concurrent keyring daemons do not share a control socket.
    XDG_RUNTIME_DIR: runtimeDir,
    XDG_DATA_HOME: undefined,
    XDG_CONFIG_HOME: undefined,
    XDG_CACHE_HOME: undefined,
    DBUS_SESSION_BUS_ADDRESS: undefined,
    STIGMER_HOME: stigmerHome,
    STIGMER_NO_KEYRING: undefined,
    ...extra,
  });
  return { env, home, stigmerHome };
}

const NEEDED = ["dbus-run-session", "gnome-keyring-daemon", "tmux"];

export async function startKeyringSession(): Promise<KeyringSession> {
  const missing = NEEDED.filter((tool) => !Bun.which(tool));
  if (missing.length > 0) {
    throw new Error(`${missing.join(", ")} not found: apt-get install dbus-daemon gnome-keyring tmux (.ci/run does)`);
  }
  const { env, home, stigmerHome } = isolatedEnv();
  // Its own process group, so that stopping it also ends dbus-daemon and gnome-keyring-daemon.
  const session = spawn("dbus-run-session", ["--", "sh", "-c", START_KEYRING], { env, detached: true, stdio: ["ignore", "pipe", "ignore"] });
  const pgid = session.pid!;
  killGroupAtEnd(pgid);
  const address = await new Promise<string>((resolve, reject) => {
    let text = "";
    session.stdout!.on("data", (chunk) => {
      text += chunk;
      const newline = text.indexOf("\n");
      if (newline >= 0) resolve(text.slice(0, newline).trim());
    });
    session.once("exit", (code) => reject(new Error(`dbus-run-session exited (${code}) before the keyring was up`)));
  });
  session.stdout!.destroy();
  return {
    env: { ...env, DBUS_SESSION_BUS_ADDRESS: address },
    home,
    stigmerHome,
    stop() {
      try {
        process.kill(-pgid, "SIGTERM");
      } catch {
        // Already gone.
      }
    },
  };
}

/** Every file under `dir` whose bytes contain `needle`. */
export function filesContaining(dir: string, needle: string): string[] {
  const found: string[] = [];
  const walk = (current: string) => {
    for (const entry of readdirSync(current)) {
      const file = path.join(current, entry);
      const stat = statSync(file, { throwIfNoEntry: false });
      if (!stat) continue;
      if (stat.isDirectory()) walk(file);
      else if (stat.isFile() && readFileSync(file).includes(needle)) found.push(file);
    }
  };
  walk(dir);
  return found;
}

/** A tmux server of its own (-L), so that tests never see or touch anyone else's sessions. */
export class Tmux {
  readonly socket = `stigmer-keys-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  private socketPath: string | undefined;

  tmux(...args: string[]): string {
    const result = spawnSync("tmux", ["-L", this.socket, ...args], { encoding: "utf8" });
    if (result.status !== 0) throw new Error(`tmux ${args[0]} failed: ${result.stderr}`);
    return result.stdout;
  }

  /** Runs `command` (a shell line) in a fresh 120×30 terminal with `env`. */
  start(command: string, env: Record<string, string>): void {
    const result = spawnSync("tmux", ["-L", this.socket, "-f", "/dev/null", "new-session", "-d", "-s", "test", "-x", "120", "-y", "30", command], {
      env: { ...env, TERM: "xterm-256color" },
      encoding: "utf8",
    });
    if (result.status !== 0) throw new Error(`tmux new-session failed: ${result.stderr}`);
    this.socketPath = this.tmux("display-message", "-p", "#{socket_path}").trim();
  }

  /** Sends text as typed (or pasted, when long): -l keeps tmux from reading key names in it. */
  type(text: string): void {
    this.tmux("send-keys", "-t", "test", "-l", text);
  }

  keys(...names: string[]): void {
    this.tmux("send-keys", "-t", "test", ...names);
  }

  screen(): string {
    return this.tmux("capture-pane", "-p", "-J", "-S", "-100", "-t", "test");
  }

  stop(): void {
    spawnSync("tmux", ["-L", this.socket, "kill-server"]);
    // kill-server leaves the socket file behind.
    if (this.socketPath) rmSync(this.socketPath, { force: true });
  }
}
