import { agents } from "./cmd/agents.js";
import { command, leader, top } from "./cmd/control.js";
import { debug } from "./cmd/debug.js";
import { bench, schema } from "./cmd/scripts.js";
import { tasks } from "./cmd/tasks.js";
import { up } from "./cmd/up.js";
import { demo } from "./demo/demo.js";
import { EXIT_OK, report, UsageError } from "./errors.js";
import { HELP } from "./help.js";
import type { Io } from "./io.js";

type Command = (argv: string[], io: Io) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  up,
  demo,
  agents,
  tasks,
  command,
  leader,
  top,
  pub: (a, io) => debug("pub", a, io),
  sub: (a, io) => debug("sub", a, io),
  req: (a, io) => debug("req", a, io),
  schema,
  bench,
};

/** The process's Io: stdout, stderr, its environment. */
export function processIo(): Io {
  return {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
    env: process.env,
    help: (c) => {
      process.stdout.write(HELP[c] ?? HELP[""]!);
      return EXIT_OK;
    },
  };
}

/**
 * Runs `swarm` with `argv` (without node and the script); resolves with the exit code.
 *
 * @example
 * ```ts
 * process.exitCode = await main(["agents", "--json"], processIo());
 * ```
 */
export async function main(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === undefined || name === "--help" || name === "-h" || name === "help")
      return io.help(rest[0] ?? "");
    if (name === "--version" || name === "-V") {
      io.out("swarm 0.1.0\n");
      return EXIT_OK;
    }
    const cmd = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (!cmd) throw new UsageError(`unknown command '${name}'`);
    return await cmd(rest, io);
  } catch (err) {
    return report(err, io.err);
  }
}
