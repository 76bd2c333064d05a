/**
 * The dispatch benchmark as a swarm is deployed: the SwarmNode in a process of its own
 * (test/fixtures/swarm-node.ts, NATS + Redis), the submitters (a TaskClient, `window` submits in
 * flight) and the SimulatedWorkers in this one. The clock runs from the first submit to the moment
 * the workers' final reports of every submitted task are acknowledged — the leader acknowledges a
 * report once it has stored the task SUCCEEDED.
 */
import { NatsBus } from "@swarmlink/transport";
import type { SimulatedWorker } from "../src/sim/mod.js";
import { TaskClient } from "../src/tasks/mod.js";
import { NodeProcess } from "../test/integration/failover-helpers.js";
import {
  type DispatchCaseOptions,
  DispatchTiming,
  figures,
  LATENCY_RATE,
  LATENCY_TASKS,
  startWorkers,
  submitPaced,
  submitWindowed,
  until,
} from "./dispatch-case.js";
import { type MessagesPerTask, natsTraffic } from "./nats-traffic.js";
import { type CpuPerTask, cpuReader } from "./proc-cpu.js";

/** The one-process case's options, with the servers' URLs instead of a Bus and a Store. */
export type SplitCaseOptions = Omit<DispatchCaseOptions, "bus" | "store" | "around"> & {
  natsUrl: string;
  redisUrl: string;
  /** The pids of the nats-server and redis-server, for their CPU per task. */
  natsPid: number;
  redisPid: number;
  /** The nats-server's monitoring URL, for its messages per task. */
  natsMonitorUrl: string;
};

export interface SplitCaseResult {
  tasks: number;
  elapsedMs: number;
  tasksPerSecond: number;
  /** CPU time of this process (submitters and workers) as a share of the wall time. */
  cpuShare: number;
  /** CPU per task of each process (from /proc: Linux only; NaN elsewhere); the coordinator is the SwarmNode. */
  cpuUsPerTask: CpuPerTask;
  messagesPerTask: MessagesPerTask;
  /** Submit called → the agent starts the task, at LATENCY_RATE tasks/s. */
  latencyP50Ms: number;
  latencyP99Ms: number;
}

export async function splitDispatchCase(o: SplitCaseOptions): Promise<SplitCaseResult> {
  const node = new NodeProcess("bench-node", o.natsUrl, o.redisUrl, 2000, 500);
  const bus = await NatsBus.connect({ servers: o.natsUrl, name: "bench-split" });
  const workers: SimulatedWorker[] = [];
  try {
    await node.waitFor((e) => e.event === "leader");
    const timing = new DispatchTiming();
    await startWorkers(bus, o.workers, o.creditsPerWorker, workers, timing);
    const client = new TaskClient({ bus, timeoutMs: 30_000 });
    const reported = () => workers.reduce((n, w) => n + w.reported, 0);
    o.progress?.(`warm-up: ${o.warmup} tasks (the node sees the workers register meanwhile)`);
    await submitWindowed(client, o.warmup, o.window, Number.POSITIVE_INFINITY);
    await until(() => reported() >= o.warmup, o.drainTimeoutMs, "the warm-up tasks to be reported");
    o.progress?.(`measuring: up to ${o.tasks} tasks or ${o.submitBudgetMs / 1000} s of submitting`);
    const before = reported();
    const cpu = cpuReader([node.proc.pid!, o.natsPid, o.redisPid]);
    const traffic = await natsTraffic(o.natsMonitorUrl);
    const profiling =
      process.env.SWARM_NODE_CPU_PROFILE !== undefined || process.env.SWARM_NODE_HEAP_PROFILE !== undefined;
    if (profiling) node.proc.kill("SIGUSR2"); // dispatch-profile.ts: the measurement starts
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const submitted = await submitWindowed(client, o.tasks, o.window, t0 + o.submitBudgetMs);
    await until(
      () => reported() - before >= submitted,
      o.drainTimeoutMs,
      `${submitted} tasks to be reported (${reported() - before} so far)`,
    );
    const measured = figures(workers, o.warmup, submitted, t0, cpu0);
    const [coordinator, natsServer, redisServer] = cpu().map((ms) => (ms * 1000) / submitted);
    const messagesPerTask = await traffic(submitted);
    const cpuUsPerTask: CpuPerTask = {
      coordinator: coordinator!,
      clients: (measured.cpuShare * measured.elapsedMs * 1000) / submitted,
      natsServer: natsServer!,
      redisServer: redisServer!,
    };
    if (profiling) {
      node.proc.kill("SIGUSR2");
      await node.waitFor((e) => e.event === "profiled");
    }
    o.progress?.(`latency: ${LATENCY_TASKS} tasks at ${LATENCY_RATE} tasks/s`);
    await submitPaced(client, LATENCY_TASKS, LATENCY_RATE, timing);
    await until(() => timing.startedAll(), o.drainTimeoutMs, "the paced tasks to start");
    return { ...measured, cpuUsPerTask, messagesPerTask, ...timing.percentiles() };
  } finally {
    for (const w of workers) w.close();
    await bus.close();
    await node.stop();
  }
}
