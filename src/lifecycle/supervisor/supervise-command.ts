/** What `start --detach` runs to become the background supervisor; src/main.ts answers it without loading the commands. */
export const SUPERVISE_COMMAND: readonly string[] = ["local", "__supervise"];

export function isSuperviseCommand(argv: readonly string[]): boolean {
  return argv.length === SUPERVISE_COMMAND.length && SUPERVISE_COMMAND.every((word, index) => argv[index] === word);
}
