// The platforms a release ships for, and the names of their files in dist/.

export interface Target {
  /** `<os>-<arch>`: names the release files, `stigmer-linux-x64.tar.gz`. */
  name: string;
  os: "linux" | "darwin" | "windows";
  arch: "x64" | "arm64";
  /** `process.platform`-`process.arch` on that platform: what `stigmer version` reports as its target. */
  runtime: string;
  bunTarget: Bun.Build.CompileTarget;
  /** The npm package holding this platform's Bun runtime, which `bun build --compile` embeds, and the runtime's file in it. */
  bunPackage: string;
  bunRuntime: string;
  /** The @napi-rs/keyring platform package holding this platform's native addon. */
  keyringPackage: string;
  /** The addon's file name inside that package. */
  keyringAddon: string;
}

function target(os: Target["os"], arch: Target["arch"], keyringSuffix: string): Target {
  const platform = os === "windows" ? "win32" : os;
  return {
    name: `${os}-${arch}`,
    os,
    arch,
    runtime: `${platform}-${arch}`,
    bunTarget: `bun-${os}-${arch}`,
    bunPackage: `@oven/bun-${os}-${arch === "arm64" ? "aarch64" : "x64"}`,
    bunRuntime: os === "windows" ? "bin/bun.exe" : "bin/bun",
    keyringPackage: `@napi-rs/keyring-${keyringSuffix}`,
    keyringAddon: `keyring.${keyringSuffix}.node`,
  };
}

export const TARGETS: readonly Target[] = [
  target("linux", "x64", "linux-x64-gnu"),
  target("linux", "arm64", "linux-arm64-gnu"),
  target("darwin", "x64", "darwin-x64"),
  target("darwin", "arm64", "darwin-arm64"),
  target("windows", "x64", "win32-x64-msvc"),
];

export function isHost(target: Target): boolean {
  return target.runtime === `${process.platform}-${process.arch}`;
}

/** The target this machine runs, for `npm run build`. */
export function hostTarget(): Target {
  const runtime = `${process.platform}-${process.arch}`;
  const host = TARGETS.find(isHost);
  if (host === undefined) throw new Error(`no release target for this machine (${runtime}); targets: ${TARGETS.map((t) => t.name).join(", ")}`);
  return host;
}

/** The name of the executable inside the archive, as users run it. */
export function commandName(target: Target): string {
  return target.os === "windows" ? "stigmer.exe" : "stigmer";
}

export function binaryName(target: Target): string {
  return `stigmer-${target.name}${target.os === "windows" ? ".exe" : ""}`;
}

export function archiveName(target: Target): string {
  return `stigmer-${target.name}${target.os === "windows" ? ".zip" : ".tar.gz"}`;
}
