/**
 * One end-to-end dispatch measurement, shared by dispatch.bench.ts and dispatch-profile.ts: a
 * SwarmNode on the given Bus and Store, a fleet of SimulatedWorkers (workMs 0), `queue` tasks
 * submitted through a TaskClient with a fixed number of submits in flight, and the clock running from
 * the first submit to the moment the leader has counted the last of them SUCCEEDED.
 */
import type { Store } from "@swarmlink/store";
import type { Bus } from "@swarmlink/transport";
import { SwarmNode } from "../src/node/mod.js";
import { SimulatedWorker } from "../src/sim/mod.js";
import { TaskClient } from "../src/tasks/mod.js";
import { percentile } from "./auction-lib.js";

export interface DispatchCaseOptions {
  bus: Bus;
  store: Store;
  /** Tasks to submit at most. */
  tasks: number;
  /** Submission stops (short of `tasks`) once this much time has passed, in ms. */
  submitBudgetMs: number;
  /** Give up waiting for the last completions this long after submission ended, in ms. */
  drainTimeoutMs: number;
  /** Tasks run (and discarded) before the clock starts, to warm the JIT and the connections. */
  warmup: number;
  workers: number;
  creditsPerWorker: number;
  /** Submits kept in flight. */
  window: number;
  progress?: (m: string) => void;
  /** Called right before the clock starts and right after it stops (e.g. to start and stop a profiler). */
  around?: (phase: "start" | "stop") => Promise<void>;
}

export interface DispatchCaseResult {
  /** Tasks submitted and seen SUCCEEDED inside the measurement. */
  tasks: number;
  elapsedMs: number;
  tasksPerSecond: number;
  /** CPU time of this process during the measurement, as a share of the wall time (1 = one core busy). */
  cpuShare: number;
  /** Leadership terms the node started during the measurement: 0 unless it lost its lease. */
  newTerms: number;
  /** Submit called → the agent starts the task, at {@link LATENCY_RATE} tasks/s (not saturated). */
  latencyP50Ms: number;
  latencyP99Ms: number;
}

const POLL_MS = 5;
/**
 * Dispatch latency is measured apart from throughput, at a steady rate well below capacity: at
 * saturation it only measures the backlog the stream holds.
 */
export const LATENCY_RATE = 500;
export const LATENCY_TASKS = 1000;

/** Runs one case; stops every worker and the node it started (not the Bus or Store it was given). */
export async function dispatchCase(o: DispatchCaseOptions): Promise<DispatchCaseResult> {
  const node = await SwarmNode.start({ bus: o.bus, store: o.store, nodeId: "bench-node" });
  const workers: SimulatedWorker[] = [];
  try {
    await node.leadership.waitForLeadership();
    const timing = new DispatchTiming();
    await startWorkers(o.bus, o.workers, o.creditsPerWorker, workers, timing);
    await until(
      () => node.dispatcher.leading && node.registry.stats().agents.online === o.workers,
      20_000,
      "the leader to take over and see every worker online",
    );
    const client = new TaskClient({ bus: o.bus, timeoutMs: 30_000 });
    const succeeded = () => node.dispatcher.stats().finished.SUCCEEDED ?? 0;

    o.progress?.(`warm-up: ${o.warmup} tasks`);
    await submitWindowed(client, o.warmup, o.window, Number.POSITIVE_INFINITY);
    await until(() => succeeded() >= o.warmup, o.drainTimeoutMs, "the warm-up tasks to succeed");

    o.progress?.(`measuring: up to ${o.tasks} tasks or ${o.submitBudgetMs / 1000} s of submitting`);
    await o.around?.("start");
    const before = succeeded();
    const termsBefore = node.dispatcher.stats().terms;
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const submitted = await submitWindowed(client, o.tasks, o.window, t0 + o.submitBudgetMs);
    await until(
      () => succeeded() - before >= submitted,
      o.drainTimeoutMs,
      `${submitted} tasks to succeed (${succeeded() - before} so far)`,
    );
    const measured = figures(workers, o.warmup, submitted, t0, cpu0);
    await o.around?.("stop");
    const stats = node.dispatcher.stats();
    o.progress?.(`latency: ${LATENCY_TASKS} tasks at ${LATENCY_RATE} tasks/s`);
    await submitPaced(client, LATENCY_TASKS, LATENCY_RATE, timing);
    await until(() => timing.startedAll(), o.drainTimeoutMs, "the paced tasks to start");
    return {
      ...measured,
      newTerms: stats.terms - termsBefore,
      ...timing.percentiles(),
    };
  } finally {
    for (const w of workers) w.close();
    await node.stop();
  }
}

/**
 * Submit → start times of tasks: the submitter notes when it called submit (keyed by the id the
 * call returns), the workers when they start a task; tasks the submitter did not note (warm-up)
 * are left out.
 */
export class DispatchTiming {
  readonly #submitted = new Map<string, number>();
  readonly #started = new Map<string, number>();

  submitted(taskId: string, atMs: number): void {
    this.#submitted.set(taskId, atMs);
  }

  started(taskId: string): void {
    if (!this.#started.has(taskId)) this.#started.set(taskId, performance.now());
  }

  /** Whether every task noted as submitted has started. */
  startedAll(): boolean {
    for (const id of this.#submitted.keys()) if (!this.#started.has(id)) return false;
    return true;
  }

  percentiles(): { latencyP50Ms: number; latencyP99Ms: number } {
    const ms: number[] = [];
    for (const [id, t] of this.#submitted) {
      const s = this.#started.get(id);
      if (s !== undefined) ms.push(s - t);
    }
    return { latencyP50Ms: percentile(ms, 50), latencyP99Ms: percentile(ms, 99) };
  }
}

/** Starts `n` SimulatedWorkers for "pick" tasks (workMs 0) on `bus`, pushing each onto `into`. */
export async function startWorkers(
  bus: Bus,
  n: number,
  credits: number,
  into: SimulatedWorker[],
  timing?: DispatchTiming,
) {
  for (let i = 0; i < n; i++) {
    const w = new SimulatedWorker(
      bus,
      { id: `bench-worker-${i}`, kind: 1, capabilities: ["pick"], credits },
      { workMs: 0, heartbeatIntervalMs: 1000, onRun: (id) => timing?.started(id) },
    );
    await w.start();
    into.push(w);
  }
}

/**
 * The figures of a measurement begun at `t0` (performance.now()) and `cpu0` (process.cpuUsage()),
 * once every task is done; throws unless the workers ran each of `warmup + submitted` tasks once.
 */
export function figures(
  workers: SimulatedWorker[],
  warmup: number,
  submitted: number,
  t0: number,
  cpu0: NodeJS.CpuUsage,
): { tasks: number; elapsedMs: number; tasksPerSecond: number; cpuShare: number } {
  const elapsedMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const runs = workers.reduce((n, w) => n + w.runs.length, 0);
  if (runs !== warmup + submitted)
    throw new Error(`workers ran ${runs} tasks for ${warmup + submitted} submitted`);
  return {
    tasks: submitted,
    elapsedMs,
    tasksPerSecond: (submitted / elapsedMs) * 1000,
    cpuShare: (cpu.user + cpu.system) / 1000 / elapsedMs,
  };
}

/** Submits up to `n` tasks, `window` at a time, none after `deadline` (performance.now()); returns how many. */
export async function submitWindowed(
  client: TaskClient,
  n: number,
  window: number,
  deadline: number,
  timing?: DispatchTiming,
) {
  let next = 0;
  const lane = async () => {
    while (next < n && performance.now() < deadline) {
      next++;
      const t = performance.now();
      const { id } = await client.submit({ kind: "pick", capabilities: ["pick"] });
      timing?.submitted(id, t);
    }
  };
  await Promise.all(Array.from({ length: window }, lane));
  return next;
}

/** Submits `n` tasks at `ratePerSecond`, each on its own schedule (not waiting for the one before). */
export async function submitPaced(
  client: TaskClient,
  n: number,
  ratePerSecond: number,
  timing: DispatchTiming,
) {
  const t0 = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const due = t0 + (i * 1000) / ratePerSecond;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const t = performance.now();
    pending.push(
      client.submit({ kind: "pick", capabilities: ["pick"] }).then(({ id }) => timing.submitted(id, t)),
    );
  }
  await Promise.all(pending);
}

/** Polls `cond` every few ms until it holds; throws naming `what` after `ms`. */
export async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
