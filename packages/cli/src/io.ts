/** Where a command writes and what it reads from its environment (tests give their own). */
export interface Io {
  out(s: string): void;
  err(s: string): void;
  env: NodeJS.ProcessEnv;
  /** Prints the help of a command (or the overview for "") to stdout; returns exit code 0. */
  help(command: string): number;
}
