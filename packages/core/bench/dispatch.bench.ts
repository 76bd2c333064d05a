/**
 * Queue dispatch throughput, end to end: `queue` tasks submitted through a TaskClient (256 submits
 * in flight), one SwarmNode dispatching them to 20 SimulatedWorkers (50 credits each, workMs 0),
 * tasks/s from the first submit to the moment the leader counts the last one SUCCEEDED; plus the
 * dispatch latency p50/p99 from the submit call to the agent starting the task, measured apart at a
 * steady 500 tasks/s (at saturation it would only measure the backlog in the stream). Each case is bounded in count and in
 * time (submission stops after its budget; the row counts what was submitted).
 * - memory: MemoryBus + MemoryStore, one process, against the embedded floor
 *   (dispatch-floor-memory.ts): the same traffic through the same seams with pre-built payloads.
 * - memory, backlog (dispatch-fleet.ts): 10,000 tasks submitted at once, drained by 2,000 agents of
 *   one credit, against 100 agents of 20: what a large fleet costs the allocator.
 * - NATS + Redis store, and NATS + NATS KV store: a private nats-server (and redis-server).
 *   Baseline, on the same nats-server in the same run: a raw JetStream work queue (dispatch-raw.ts),
 *   the same number of publishes in flight, a pull consumer acking each message.
 * - NATS + Redis, split: the SwarmNode in a process of its own, submitters and workers in this one
 *   (dispatch-split.ts), against the raw work queue with its consumer in a process of its own, and
 *   against the floor (dispatch-floor.ts): the same messages and Store writes made by plain nats.js
 *   and ioredis clients laid out the same way — what this machine allows for the traffic pattern.
 *   This is how a swarm runs; the one-process cases put the coordinator, every agent and every
 *   submitter on one core. Its rows also give each process's CPU per task (/proc) beside the
 *   floor's, and the CPU a task may cost, all processes together, for the 10,000 tasks/s on
 *   this machine's cores: where a miss comes from, and whether the machine could carry the target.
 */
import { availableParallelism } from "node:os";
import { type NatsServer, type ServerHandle, startNats, startRedis } from "@swarmlink/harness";
import { MemoryStore, NatsKvStore, RedisStore, type Store } from "@swarmlink/store";
import { type Bus, MemoryBus, NatsBus } from "@swarmlink/transport";
import { lowerIsBetter, type Row } from "./auction-lib.js";
import { type DispatchCaseOptions, type DispatchCaseResult, dispatchCase } from "./dispatch-case.js";
import { fleetBacklogCase } from "./dispatch-fleet.js";
import { dispatchFloor, type FloorResult, floorSizes } from "./dispatch-floor.js";
import { memoryDispatchFloor } from "./dispatch-floor-memory.js";
import { rawWorkQueue } from "./dispatch-raw.js";
import { splitDispatchCase } from "./dispatch-split.js";
import { describeTraffic } from "./nats-traffic.js";
import { describeCpu, machineCpu } from "./proc-cpu.js";

const SUITE = "dispatch";
const WINDOW = 256;
const WORKERS = 20;
const CREDITS = 50;
/** Messages through the raw work queue: enough for a stable figure, well under a second. */
const RAW_MESSAGES = 20_000;
/** Tasks through the dispatch floor: a few seconds each. */
const FLOOR_TASKS = 20_000;

type CaseLimits = Pick<DispatchCaseOptions, "tasks" | "submitBudgetMs" | "drainTimeoutMs" | "warmup">;
/** Long enough for steady figures: a 4,000-task run measured the JIT's warm-up as much as the dispatcher. */
const MEMORY: CaseLimits = { tasks: 40_000, submitBudgetMs: 10_000, drainTimeoutMs: 30_000, warmup: 2000 };
/** The workers and the submitters of every case. */
const FLEET = { workers: WORKERS, creditsPerWorker: CREDITS, window: WINDOW };
/** The target for queue dispatch on NATS (#4): what the CPU budget row divides the cores by. */
const TARGET_TASKS_PER_SECOND = 10_000;
const NATS: CaseLimits = { tasks: 20_000, submitBudgetMs: 10_000, drainTimeoutMs: 30_000, warmup: 1000 };

export async function run(progress: (m: string) => void = () => {}): Promise<Row[]> {
  const rows: Row[] = [];
  progress("memory Bus + MemoryStore");
  const bus = new MemoryBus();
  const store = new MemoryStore();
  let memory: DispatchCaseResult;
  try {
    memory = await measure(bus, store, MEMORY, progress);
  } finally {
    await store.close();
    await bus.close();
  }
  progress(`memory: the floor (the same traffic through MemoryBus and MemoryStore), ${MEMORY.tasks} tasks`);
  const floor = await memoryDispatchFloor({
    tasks: MEMORY.tasks,
    window: WINDOW,
    agents: WORKERS,
    sizes: floorSizes(),
  });
  progress(
    `memory floor: ${Math.round(floor.tasksPerSecond)} tasks/s, ${floor.cpuUsPerTask.toFixed(1)} µs per task`,
  );
  rows.push(...caseRows("memory", memory, floor.tasksPerSecond, "the floor: its traffic through the seams"));
  rows.push(await fleetRows(progress));
  for (const storeKind of ["Redis", "NATS KV"] as const) {
    rows.push(...(await natsCase(storeKind, progress)));
  }
  rows.push(...(await splitCase(progress)));
  return rows;
}

/** A backlog drained by a fleet of many small agents, against one of few large ones (same credits). */
const FLEET_BACKLOG = { tasks: 10_000, credits: 2000, manyAgents: 2000, fewAgents: 100 };

async function fleetRows(progress: (m: string) => void): Promise<Row> {
  const { tasks, credits, manyAgents, fewAgents } = FLEET_BACKLOG;
  const fleet = async (agents: number) => {
    progress(`memory, backlog: ${tasks} tasks at once, ${agents} agents × ${credits / agents} credits`);
    const r = await fleetBacklogCase({
      workers: agents,
      credits: credits / agents,
      tasks,
      drainTimeoutMs: 120_000,
      progress,
    });
    return r.tasksPerSecond;
  };
  const few = await fleet(fewAgents);
  const many = await fleet(manyAgents);
  return {
    suite: SUITE,
    case: `memory, backlog of ${tasks} tasks: tasks/s on ${manyAgents} agents × ${credits / manyAgents} credit (vs ${fewAgents} agents × ${credits / fewAgents})`,
    value: many,
    unit: "tasks/s",
    baseline: few,
    ratio: many / few,
  };
}

async function splitCase(progress: (m: string) => void): Promise<Row[]> {
  const nats = await startNats();
  const redis = await startRedis();
  try {
    progress(`NATS + Redis, split: raw JetStream work queue, consumer process, ${RAW_MESSAGES} messages`);
    const raw = await rawBaseline(nats.url, true);
    const floor = await floorCase(nats, redis, false, progress);
    const floorBatched = await floorCase(nats, redis, true, progress);
    progress(`NATS + Redis, split: SwarmNode process (raw work queue: ${Math.round(raw)} msg/s)`);
    const r = await splitDispatchCase({
      ...NATS,
      natsUrl: nats.url,
      redisUrl: redis.url,
      natsPid: nats.pid,
      redisPid: redis.pid,
      natsMonitorUrl: nats.monitorUrl,
      ...FLEET,
      progress,
    });
    progress(
      `${r.tasks} tasks in ${(r.elapsedMs / 1000).toFixed(2)} s: ${Math.round(r.tasksPerSecond)} tasks/s; ` +
        `${describeCpu(r.cpuUsPerTask)} (coordinator: the SwarmNode); ${describeTraffic(r.messagesPerTask)}`,
    );
    const name = "NATS + Redis, node in its own process";
    const machine = machineCpu(r.cpuUsPerTask);
    const cores = availableParallelism();
    return [
      {
        suite: SUITE,
        case: `${name}: queue tasks/s, ${r.tasks} tasks (vs raw, consumer process)`,
        value: r.tasksPerSecond,
        unit: "tasks/s",
        baseline: raw,
        ratio: r.tasksPerSecond / raw,
      },
      {
        suite: SUITE,
        case: `${name}: queue tasks/s (vs the floor: its messages and writes from plain nats.js + ioredis)`,
        value: r.tasksPerSecond,
        unit: "tasks/s",
        baseline: floor.tasksPerSecond,
        ratio: r.tasksPerSecond / floor.tasksPerSecond,
      },
      {
        suite: SUITE,
        case: "the floor with award and report batches per agent (plain nats.js + ioredis)",
        value: floorBatched.tasksPerSecond,
        unit: "tasks/s",
      },
      lowerIsBetter(
        SUITE,
        "the floor with batches: machine CPU per task, all four processes",
        machineCpu(floorBatched.cpuUsPerTask),
        "µs",
      ),
      {
        suite: SUITE,
        case: `machine CPU a task may cost for ${TARGET_TASKS_PER_SECOND.toLocaleString("en-US")} tasks/s on ${cores} cores`,
        value: (cores * 1e6) / TARGET_TASKS_PER_SECOND,
        unit: "µs",
      },
      lowerIsBetter(
        SUITE,
        `${name}: messages through nats-server per task, in + out (vs the floor with batches)`,
        r.messagesPerTask.in + r.messagesPerTask.out,
        "msgs",
        floorBatched.messagesPerTask.in + floorBatched.messagesPerTask.out,
      ),
      lowerIsBetter(
        SUITE,
        `${name}: machine CPU per task, all four processes (vs the floor's)`,
        machine,
        "µs",
        machineCpu(floor.cpuUsPerTask),
      ),
      lowerIsBetter(
        SUITE,
        `${name}: SwarmNode CPU per task (vs the floor's coordinator)`,
        r.cpuUsPerTask.coordinator,
        "µs",
        floor.cpuUsPerTask.coordinator,
      ),
      lowerIsBetter(
        SUITE,
        `${name}: the other three processes' CPU per task (vs the floor's)`,
        machine - r.cpuUsPerTask.coordinator,
        "µs",
        machineCpu(floor.cpuUsPerTask) - floor.cpuUsPerTask.coordinator,
      ),
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

function caseRows(
  name: string,
  r: DispatchCaseResult,
  raw?: number,
  baselineName = "raw JetStream work queue",
): Row[] {
  const lost = r.newTerms > 0 ? `, leader lost its lease ${r.newTerms}×` : "";
  const vs = raw === undefined ? "" : ` (vs ${baselineName})`;
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

/**
 * The dispatch floor (dispatch-floor.ts) on these servers: tasks/s of the split case's messages and
 * Store writes made with plain clients, per-task requests or per-agent batches.
 */
async function floorCase(
  nats: NatsServer,
  redis: ServerHandle,
  batched: boolean,
  progress: (m: string) => void,
): Promise<FloorResult> {
  const kind = batched ? "award and report batches" : "one request per award and report";
  progress(`NATS + Redis, split: the floor (plain clients, ${kind}), ${FLOOR_TASKS} tasks`);
  const r = await dispatchFloor({
    natsUrl: nats.url,
    redisUrl: redis.url,
    natsPid: nats.pid,
    redisPid: redis.pid,
    natsMonitorUrl: nats.monitorUrl,
    tasks: FLOOR_TASKS,
    window: WINDOW,
    agents: WORKERS,
    sizes: floorSizes(),
    batched,
  });
  progress(
    `floor: ${Math.round(r.tasksPerSecond)} tasks/s; ${describeCpu(r.cpuUsPerTask)}; ` +
      describeTraffic(r.messagesPerTask),
  );
  return r;
}

/** The raw work queue's msg/s on the server at `url`, the same traffic as the cases' submissions. */
function rawBaseline(url: string, consumerProcess: boolean): Promise<number> {
  const messageBytes = floorSizes().task;
  return rawWorkQueue({ url, messages: RAW_MESSAGES, window: WINDOW, messageBytes, consumerProcess });
}
