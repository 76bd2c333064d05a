import { isSwarmError } from "@swarmlink/protocol";

/** Exit codes of `swarm`: 0 ok, 1 the work failed, 2 the command line was wrong. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** A bad command line: printed with a hint at `--help`, exit 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command = "",
  ) {
    super(message);
    this.name = "UsageError";
  }
}

/** The one place errors become a message and an exit code. */
export function report(err: unknown, write: (s: string) => void): number {
  if (err instanceof UsageError) {
    const help = err.command ? `swarm ${err.command} --help` : "swarm --help";
    write(`swarm: ${err.message}\nTry '${help}'.\n`);
    return EXIT_USAGE;
  }
  if (isSwarmError(err)) {
    const ctx = Object.keys(err.context ?? {}).length ? ` ${JSON.stringify(err.context)}` : "";
    write(`swarm: ${err.code}: ${err.message}${ctx}\n`);
    return EXIT_FAILURE;
  }
  write(`swarm: ${err instanceof Error ? err.message : String(err)}\n`);
  return EXIT_FAILURE;
}
