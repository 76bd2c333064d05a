/**
 * Queue dispatch with a backlog, by fleet size: `tasks` submitted at once (far more than the fleet
 * has credits), then drained by `workers` SimulatedWorkers of `credits` each (workMs 0), one
 * SwarmNode on the memory Bus and Store. Two fleets with the same credits in all, one of many small
 * agents and one of few large ones, show what the fleet's size costs the allocator: every
 * completion frees a credit and starts a pass over the waiting tasks.
 *
 * `node --import tsx packages/core/bench/dispatch-fleet.ts [workers] [credits] [tasks]` runs one case.
 */
import { pathToFileURL } from "node:url";
import { MemoryStore } from "@swarmlink/store";
import { MemoryBus } from "@swarmlink/transport";
import { SwarmNode } from "../src/node/mod.js";
import type { SimulatedWorker } from "../src/sim/mod.js";
import { TaskClient } from "../src/tasks/mod.js";
import { startWorkers, until } from "./dispatch-case.js";

export interface FleetCaseOptions {
  workers: number;
  credits: number;
  tasks: number;
  /** Give up waiting for the backlog to drain after this long, in ms. */
  drainTimeoutMs: number;
  progress?: (m: string) => void;
}

/** Tasks per second from the first submit until every task of the backlog has succeeded. */
export async function fleetBacklogCase(o: FleetCaseOptions): Promise<number> {
  const bus = new MemoryBus();
  const store = new MemoryStore();
  const node = await SwarmNode.start({ bus, store, nodeId: "bench-node" });
  const workers: SimulatedWorker[] = [];
  try {
    await node.leadership.waitForLeadership();
    o.progress?.(`${o.workers} agents of ${o.credits} credits joining`);
    await startWorkers(bus, o.workers, o.credits, workers);
    await until(
      () => node.dispatcher.leading && node.registry.stats().agents.online === o.workers,
      60_000,
      "every agent online",
    );
    const client = new TaskClient({ bus, timeoutMs: 60_000 });
    const succeeded = () => node.dispatcher.stats().finished.SUCCEEDED ?? 0;
    o.progress?.(`${o.tasks} tasks submitted at once`);
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: o.tasks }, () => client.submit({ kind: "pick", capabilities: ["pick"] })),
    );
    await until(
      () => succeeded() >= o.tasks,
      o.drainTimeoutMs,
      `the backlog to drain (${succeeded()} of ${o.tasks})`,
    );
    return (o.tasks / (performance.now() - t0)) * 1000;
  } finally {
    for (const w of workers) w.close();
    await node.stop();
    await store.close();
    await bus.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const [workers = 2000, credits = 1, tasks = 10_000] = process.argv.slice(2).map(Number);
  const perSecond = await fleetBacklogCase({
    workers,
    credits,
    tasks,
    drainTimeoutMs: 120_000,
    progress: (m) => process.stderr.write(`${m}\n`),
  });
  process.stdout.write(
    `${workers} agents × ${credits} credits, ${tasks} tasks: ${Math.round(perSecond)} tasks/s\n`,
  );
  process.exit(0);
}
