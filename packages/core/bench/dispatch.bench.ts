/**
 * Queue dispatch throughput, end to end: `queue` tasks submitted through a TaskClient (256 submits
 * in flight), one SwarmNode dispatching them to 20 SimulatedWorkers (50 credits each, workMs 0),
 * tasks/s from the first submit to the moment the leader counts the last one SUCCEEDED; plus the
 * dispatch latency p50/p99 from the submit call to the agent starting the task, measured apart at a
 * steady 500 tasks/s (at saturation it would only measure the backlog in the stream). Each case is bounded in count and in
 * time (submission stops after its budget; the row counts what was submitted).
 * - memory: MemoryBus + MemoryStore, one process; no raw baseline.
 * - NATS + Redis store, and NATS + NATS KV store: a private nats-server (and redis-server).
 *   Baseline, on the same nats-server in the same run: a raw JetStream work queue (dispatch-raw.ts),
 *   the same number of publishes in flight, a pull consumer acking each message.
 * - NATS + Redis, split: the SwarmNode in a process of its own, submitters and workers in this one
 *   (dispatch-split.ts), against the raw work queue with its consumer in a process of its own.
 *   This is how a swarm runs; the one-process cases put the coordinator, every agent and every
 *   submitter on one core.
 */
import { startNats, startRedis } from "@swarmlink/harness";
import { systemClock } from "@swarmlink/protocol";
import { MemoryStore, NatsKvStore, RedisStore, type Store } from "@swarmlink/store";
import { type Bus, MemoryBus, NatsBus } from "@swarmlink/transport";
import { buildTask, envelopeBytes } from "../src/tasks/mod.js";
import { lowerIsBetter, type Row } from "./auction-lib.js";
import { type DispatchCaseOptions, type DispatchCaseResult, dispatchCase } from "./dispatch-case.js";
import { rawWorkQueue } from "./dispatch-raw.js";
import { splitDispatchCase } from "./dispatch-split.js";

const SUITE = "dispatch";
const WINDOW = 256;
const WORKERS = 20;
const CREDITS = 50;
/** Messages through the raw work queue: enough for a stable figure, well under a second. */
const RAW_MESSAGES = 20_000;

type CaseLimits = Pick<DispatchCaseOptions, "tasks" | "submitBudgetMs" | "drainTimeoutMs" | "warmup">;
const MEMORY: CaseLimits = { tasks: 20_000, submitBudgetMs: 6000, drainTimeoutMs: 20_000, warmup: 500 };
/** The workers and the submitters of every case. */
const FLEET = { workers: WORKERS, creditsPerWorker: CREDITS, window: WINDOW };
const NATS: CaseLimits = { tasks: 4000, submitBudgetMs: 6000, drainTimeoutMs: 20_000, warmup: 200 };

export async function run(progress: (m: string) => void = () => {}): Promise<Row[]> {
  const rows: Row[] = [];
  progress("memory Bus + MemoryStore");
  const bus = new MemoryBus();
  const store = new MemoryStore();
  try {
    rows.push(...caseRows("memory", await measure(bus, store, MEMORY, progress)));
  } finally {
    await store.close();
    await bus.close();
  }
  for (const storeKind of ["Redis", "NATS KV"] as const) {
    rows.push(...(await natsCase(storeKind, progress)));
  }
  rows.push(...(await splitCase(progress)));
  return rows;
}

async function splitCase(progress: (m: string) => void): Promise<Row[]> {
  const nats = await startNats();
  const redis = await startRedis();
  try {
    progress(`NATS + Redis, split: raw JetStream work queue, consumer process, ${RAW_MESSAGES} messages`);
    const raw = await rawBaseline(nats.url, true);
    progress(`NATS + Redis, split: SwarmNode process (raw work queue: ${Math.round(raw)} msg/s)`);
    const r = await splitDispatchCase({
      ...NATS,
      natsUrl: nats.url,
      redisUrl: redis.url,
      ...FLEET,
      progress,
    });
    progress(
      `${r.tasks} tasks in ${(r.elapsedMs / 1000).toFixed(2)} s: ${Math.round(r.tasksPerSecond)} tasks/s, ` +
        `SwarmNode process CPU ${Math.round(r.nodeCpuUsPerTask)} µs per task, ` +
        `submitters' and workers' process CPU ${Math.round(r.cpuShare * 100)}% of one core`,
    );
    const name = "NATS + Redis, node in its own process";
    return [
      {
        suite: SUITE,
        case: `${name}: queue tasks/s, ${r.tasks} tasks (vs raw, consumer process)`,
        value: r.tasksPerSecond,
        unit: "tasks/s",
        baseline: raw,
        ratio: r.tasksPerSecond / raw,
      },
      lowerIsBetter(SUITE, `${name}: submit → agent starts at 500 tasks/s, p50`, r.latencyP50Ms, "ms"),
      lowerIsBetter(SUITE, `${name}: submit → agent starts at 500 tasks/s, p99`, r.latencyP99Ms, "ms"),
    ];
  } finally {
    await redis.stop();
    await nats.stop();
  }
}

async function natsCase(storeKind: "Redis" | "NATS KV", progress: (m: string) => void): Promise<Row[]> {
  const nats = await startNats();
  const redis = storeKind === "Redis" ? await startRedis() : undefined;
  try {
    progress(`NATS + ${storeKind} store: raw JetStream work queue, ${RAW_MESSAGES} messages`);
    const raw = await rawBaseline(nats.url, false);
    progress(`NATS + ${storeKind} store: SwarmNode (raw work queue: ${Math.round(raw)} msg/s)`);
    const bus = await NatsBus.connect({ servers: nats.url, name: "bench-dispatch" });
    let store: Store | undefined;
    try {
      store = redis
        ? await RedisStore.connect({ url: redis.url })
        : await NatsKvStore.connect({ servers: nats.url, bucket: "bench-dispatch" });
      return caseRows(`NATS + ${storeKind}`, await measure(bus, store, NATS, progress), raw);
    } finally {
      await store?.close();
      await bus.close();
    }
  } finally {
    await redis?.stop();
    await nats.stop();
  }
}

async function measure(
  bus: Bus,
  store: Store,
  limits: CaseLimits,
  progress: (m: string) => void,
): Promise<DispatchCaseResult> {
  const r = await dispatchCase({
    ...limits,
    bus,
    store,
    ...FLEET,
    progress,
  });
  progress(
    `${r.tasks} tasks in ${(r.elapsedMs / 1000).toFixed(2)} s: ${Math.round(r.tasksPerSecond)} tasks/s, ` +
      `this process's CPU ${Math.round(r.cpuShare * 100)}% of one core` +
      (r.newTerms > 0 ? ` (the leader lost its lease ${r.newTerms} times)` : ""),
  );
  return r;
}

function caseRows(name: string, r: DispatchCaseResult, raw?: number): Row[] {
  const lost = r.newTerms > 0 ? `, leader lost its lease ${r.newTerms}×` : "";
  const vs = raw === undefined ? "" : " (vs raw JetStream work queue)";
  return [
    {
      suite: SUITE,
      case: `${name}: queue tasks/s, ${r.tasks} tasks${lost}${vs}`,
      value: r.tasksPerSecond,
      unit: "tasks/s",
      baseline: raw,
      ratio: raw === undefined ? undefined : r.tasksPerSecond / raw,
    },
    lowerIsBetter(SUITE, `${name}: submit → agent starts at 500 tasks/s, p50`, r.latencyP50Ms, "ms"),
    lowerIsBetter(SUITE, `${name}: submit → agent starts at 500 tasks/s, p99`, r.latencyP99Ms, "ms"),
  ];
}

/** The raw work queue's msg/s on the server at `url`, the same traffic as the cases' submissions. */
function rawBaseline(url: string, consumerProcess: boolean): Promise<number> {
  const messageBytes = taskEnvelopeBytes();
  return rawWorkQueue({ url, messages: RAW_MESSAGES, window: WINDOW, messageBytes, consumerProcess });
}

/** Size of one submitted `queue` task's Envelope, as TaskClient sends it. */
function taskEnvelopeBytes(): number {
  const id = "01J00000000000000000000000";
  const task = buildTask({ kind: "pick", capabilities: ["pick"] }, id);
  return envelopeBytes("swarmlink.v1.Task", task, "task-client", systemClock).length;
}
