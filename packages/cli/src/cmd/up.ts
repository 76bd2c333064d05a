import { COMMON_OPTIONS, parse } from "../args.js";
import { resolveConfig, UP_OPTIONS } from "../config.js";
import { UsageError } from "../errors.js";
import { table } from "../format.js";
import type { Io } from "../io.js";
import { type RunningSwarm, startSwarm } from "../swarm.js";

/** `swarm up`: a node with its listeners until SIGINT/SIGTERM. */
export async function up(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse("up", argv, { ...COMMON_OPTIONS, ...UP_OPTIONS });
  if (values.help) return io.help("up");
  if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`, "up");
  const swarm = await startSwarm(resolveConfig("up", values, io.env));
  printEndpoints(swarm, values.json === true, io);
  await untilSignal(swarm, io);
  return 0;
}

/** The endpoints as a table, or one JSON line (`--json`: what scripts and tests read). */
export function printEndpoints(swarm: RunningSwarm, asJson: boolean, io: Io): void {
  const e = swarm.endpoints;
  if (asJson) {
    io.out(JSON.stringify({ ready: true, ...e }).concat("\n"));
    return;
  }
  const rows: string[][] = [
    ["node", e.nodeId],
    ["bus", e.bus],
    ["store", e.store],
    ["mqtt", e.mqtt ?? "off"],
    ["http", e.http ?? "off"],
  ];
  if (e.http)
    rows.push(["metrics", e.metrics ?? ""], ["control API", `${e.http}/v1/…  (swarm --server ${e.http})`]);
  io.out(`swarm node up\n\n${table(["endpoint", "address"], rows)}\n`);
  for (const n of e.notices) io.out(`note: ${n}\n`);
}

/** Resolves once the swarm is drained after SIGINT or SIGTERM; a second signal exits at once. */
export function untilSignal(swarm: RunningSwarm, io: Io, beforeStop?: () => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (sig: NodeJS.Signals) => {
      if (stopping) {
        io.err(`${sig} again: exiting without draining\n`);
        process.exit(1);
      }
      stopping = true;
      io.err(`${sig}: draining (again to force)…\n`);
      void (async () => {
        await beforeStop?.().catch(() => {});
        await swarm.stop();
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
        io.err("stopped\n");
        resolve();
      })();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}
