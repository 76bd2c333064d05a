/**
 * Queue dispatch with a backlog, by fleet size: `tasks` submitted at once (in the dispatch bench's
 * row, five times the fleet's credits), then drained by `workers` SimulatedWorkers of `credits`
 * each (workMs 0), one SwarmNode on the memory Bus and Store. Two fleets with the same credits in
 * all, one of many small agents and one of few large ones, show what the fleet's size costs the
 * allocator: every completion frees a credit and starts a pass over the waiting tasks.
 *
 * With poses, the fleet reports where it is while it works, as robots do.
 *
 * `node --import tsx packages/core/bench/dispatch-fleet.ts [workers] [credits] [tasks] [poses/s]
 * [positioned: 1]` runs one case and prints the poses per second it delivered.
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
  /** Tasks with a position on the site (the pick then weighs distance), or none. */
  positioned?: boolean;
  progress?: (m: string) => void;
}

export interface FleetCaseResult {
  /** From the first submit until every task of the backlog has succeeded. */
  tasksPerSecond: number;
  /** Poses published over the same time, per second. */
  posesPerSecond: number;
}

export async function fleetBacklogCase(o: FleetCaseOptions): Promise<FleetCaseResult> {
  const bus = new MemoryBus();
  const store = new MemoryStore();
  const node = await SwarmNode.start({ bus, store, nodeId: "bench-node" });
  const workers: SimulatedWorker[] = [];
  const poses = new PoseStream(bus, o.workers, o.posesPerSecond ?? 0);
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
    poses.start();
    const at = (i: number) => (o.positioned ? { x: (i * 37) % 1000, y: 0 } : undefined);
    await Promise.all(
      Array.from({ length: o.tasks }, (_, i) =>
        client.submit({ kind: "pick", capabilities: ["pick"], position: at(i) }),
      ),
    );
    await until(
      () => succeeded() >= o.tasks,
      o.drainTimeoutMs,
      `the backlog to drain (${succeeded()} of ${o.tasks})`,
    );
    const seconds = (performance.now() - t0) / 1000;
    poses.stop();
    return { tasksPerSecond: o.tasks / seconds, posesPerSecond: poses.sent / seconds };
  } finally {
    poses.stop();
    for (const w of workers) w.close();
    await node.stop();
    await store.close();
    await bus.close();
  }
}

/**
 * Pose telemetry at `perSecond`, agent after agent, each a step along x: at every turn of the event
 * loop, the poses due by the clock since the start (a timer of a millisecond fires far less often
 * on a busy loop, so ticks would not keep the rate).
 */
class PoseStream {
  sent = 0;
  #t0 = 0;
  #running = false;

  constructor(
    private readonly bus: Bus,
    private readonly agents: number,
    private readonly perSecond: number,
  ) {}

  start(): void {
    if (this.perSecond <= 0) return;
    this.#t0 = performance.now();
    this.#running = true;
    setImmediate(() => this.#turn());
  }

  stop(): void {
    this.#running = false;
  }

  #turn(): void {
    if (!this.#running) return;
    const due = Math.floor(((performance.now() - this.#t0) * this.perSecond) / 1000);
    for (; this.sent < due; this.sent++) {
      const id = `bench-worker-${this.sent % this.agents}`;
      const pose = { position: { cartesian: { x: this.sent % 1000, y: 0 } } };
      const env = wrap("swarmlink.v1.Telemetry", { agentId: id, stream: "pose", pose }, { source: id });
      this.bus.publish(subjects.agentTelemetry(id, "pose"), encodeEnvelope(env));
    }
    setImmediate(() => this.#turn());
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const args = process.argv.slice(2).map(Number);
  const [workers = 2000, credits = 1, tasks = 10_000, posesPerSecond = 0, positioned = 0] = args;
  const r = await fleetBacklogCase({
    workers,
    credits,
    tasks,
    posesPerSecond,
    positioned: positioned === 1,
    drainTimeoutMs: 120_000,
    progress: (m) => process.stderr.write(`${m}\n`),
  });
  const moving = posesPerSecond > 0 ? `, ${Math.round(r.posesPerSecond)} poses/s` : "";
  const where = positioned === 1 ? " with positions" : "";
  process.stdout.write(
    `${workers} agents × ${credits} credits${moving}, ${tasks} tasks${where}: ${Math.round(r.tasksPerSecond)} tasks/s\n`,
  );
  process.exit(0);
}
