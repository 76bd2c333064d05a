/**
 * Queue dispatch with a backlog, by fleet size: `tasks` submitted at once (far more than the fleet
 * has credits), then drained by `workers` SimulatedWorkers of `credits` each (workMs 0), one
 * SwarmNode on the memory Bus and Store. Two fleets with the same credits in all, one of many small
 * agents and one of few large ones, show what the fleet's size costs the allocator: every
 * completion frees a credit and starts a pass over the waiting tasks.
 *
 * With poses, the fleet reports where it is while it works, as robots do.
 *
 * `node --import tsx packages/core/bench/dispatch-fleet.ts [workers] [credits] [tasks] [poses/s]`
 * runs one case.
 */
import { pathToFileURL } from "node:url";
import { encodeEnvelope, subjects, wrap } from "@swarmlink/protocol";
import { MemoryStore } from "@swarmlink/store";
import { type Bus, MemoryBus } from "@swarmlink/transport";
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
  /** Pose telemetry from the fleet while it works, in poses per second (all agents in turn); 0: none. */
  posesPerSecond?: number;
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
    const poses = streamPoses(bus, o.workers, o.posesPerSecond ?? 0);
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: o.tasks }, () => client.submit({ kind: "pick", capabilities: ["pick"] })),
    );
    await until(
      () => succeeded() >= o.tasks,
      o.drainTimeoutMs,
      `the backlog to drain (${succeeded()} of ${o.tasks})`,
    );
    const perSecond = (o.tasks / (performance.now() - t0)) * 1000;
    clearInterval(poses);
    return perSecond;
  } finally {
    for (const w of workers) w.close();
    await node.stop();
    await store.close();
    await bus.close();
  }
}

/** Publishes `perSecond` poses a second, agent after agent, each a step along x; undefined for 0. */
function streamPoses(bus: Bus, agents: number, perSecond: number): NodeJS.Timeout | undefined {
  if (perSecond <= 0) return undefined;
  const TICK_MS = 1;
  const perTick = Math.max(1, Math.round((perSecond * TICK_MS) / 1000));
  let next = 0;
  return setInterval(() => {
    for (let i = 0; i < perTick; i++, next++) {
      const id = `bench-worker-${next % agents}`;
      const pose = { position: { cartesian: { x: next % 1000, y: 0 } } };
      const env = wrap("swarmlink.v1.Telemetry", { agentId: id, stream: "pose", pose }, { source: id });
      bus.publish(subjects.agentTelemetry(id, "pose"), encodeEnvelope(env));
    }
  }, TICK_MS);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const [workers = 2000, credits = 1, tasks = 10_000, posesPerSecond = 0] = process.argv.slice(2).map(Number);
  const perSecond = await fleetBacklogCase({
    workers,
    credits,
    tasks,
    posesPerSecond,
    drainTimeoutMs: 120_000,
    progress: (m) => process.stderr.write(`${m}\n`),
  });
  const moving = posesPerSecond > 0 ? `, ${posesPerSecond} poses/s` : "";
  process.stdout.write(
    `${workers} agents × ${credits} credits${moving}, ${tasks} tasks: ${Math.round(perSecond)} tasks/s\n`,
  );
  process.exit(0);
}
