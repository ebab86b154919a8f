import packageJson from "../package.json" with { type: "json" };

export interface BuildInfo {
  version: string;
  commit: string;
  date: string | null;
  target: string;
}

/** Set by build.ts through `--define`; absent when the source runs directly. */
declare const STIGMER_BUILD: Omit<BuildInfo, "version"> | undefined;

export const VERSION: string = packageJson.version;

export function buildInfo(): BuildInfo {
  const injected = typeof STIGMER_BUILD === "undefined" ? undefined : STIGMER_BUILD;
  return {
    version: VERSION,
    commit: injected?.commit ?? "source",
    date: injected?.date ?? null,
    target: injected?.target ?? `${process.platform}-${process.arch}`,
  };
}
