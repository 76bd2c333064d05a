/**
 * CPU profile of one dispatch case (dispatch.bench.ts) in this process, the measured phase only:
 * `node --import tsx packages/core/bench/dispatch-profile.ts [memory|redis|nats-kv|split|split-heap] [tasks] [out]`.
 * Prints the functions with the most self time and the most inclusive time (code of this repository
 * only), in µs per task, and writes the profile for Chrome DevTools / speedscope if asked. `split`
 * profiles the SwarmNode process of the split case (dispatch-split.ts, NATS + Redis) over the
 * measured phase; `split-heap` samples that process's allocations instead (bytes per task by the
 * allocating function, garbage included), what its garbage collector then has to clear.
 */
import { readFile, writeFile } from "node:fs/promises";
import { Session } from "node:inspector/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ServerHandle, startNats, startRedis } from "@swarmlink/harness";
import { MemoryStore, NatsKvStore, RedisStore, type Store } from "@swarmlink/store";
import { type Bus, MemoryBus, NatsBus } from "@swarmlink/transport";
import { dispatchCase } from "./dispatch-case.js";
import { splitDispatchCase } from "./dispatch-split.js";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const TOP = 20;
/** The fleet and limits of both cases: the dispatch bench's, with room to profile a long run. */
const FLEET = {
  submitBudgetMs: 60_000,
  drainTimeoutMs: 60_000,
  warmup: 500,
  workers: 20,
  creditsPerWorker: 50,
  window: 256,
  progress: (m: string) => process.stderr.write(`${m}\n`),
};
const kind = process.argv[2] ?? "memory";
const tasks = Number(process.argv[3] ?? 10_000);
const out = process.argv[4];
if (!["memory", "redis", "nats-kv", "split", "split-heap"].includes(kind))
  throw new Error(`unknown case ${kind}`);
if (kind === "split" || kind === "split-heap") {
  await profileSplit(kind === "split-heap");
  process.exit(0);
}

const session = new Session();
session.connect();
await session.post("Profiler.enable");
await session.post("Profiler.setSamplingInterval", { interval: 200 });
let profile: Profile | undefined;
const servers: ServerHandle[] = [];
let bus: Bus = new MemoryBus();
let store: Store = new MemoryStore();
if (kind !== "memory") {
  const nats = await startNats();
  servers.push(nats);
  bus = await NatsBus.connect({ servers: nats.url });
  if (kind === "redis") {
    const redis = await startRedis();
    servers.push(redis);
    store = await RedisStore.connect({ url: redis.url });
  } else {
    store = await NatsKvStore.connect({ servers: nats.url, bucket: "bench-dispatch" });
  }
}
try {
  const r = await dispatchCase({
    bus,
    store,
    tasks,
    ...FLEET,
    around: async (phase) => {
      if (phase === "start") await session.post("Profiler.start");
      else profile = (await session.post("Profiler.stop")).profile as Profile;
    },
  });
  process.stdout.write(
    `${r.tasks} tasks in ${(r.elapsedMs / 1000).toFixed(2)} s: ${Math.round(r.tasksPerSecond)} tasks/s, ` +
      `${((r.elapsedMs * 1000) / r.tasks).toFixed(0)} µs per task, lease lost ${r.newTerms}×\n`,
  );
  if (out) await writeFile(out, JSON.stringify(profile));
  process.stdout.write(summarize(profile!, r.tasks));
} finally {
  session.disconnect();
  await store.close();
  await bus.close();
  for (const s of servers.reverse()) await s.stop();
}

/** Self and inclusive time by function, in µs per task. */
function summarize(p: Profile, perTask: number): string {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  const incl = new Map<string, number>();
  let total = 0;
  p.samples.forEach((id, i) => {
    const dt = p.timeDeltas[i] ?? 0;
    total += dt;
    const name = label(byId.get(id)!);
    self.set(name, (self.get(name) ?? 0) + dt);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur)!;
      const k = label(n);
      if (!seen.has(k) && n.callFrame.url.includes("/packages/")) incl.set(k, (incl.get(k) ?? 0) + dt);
      seen.add(k);
    }
  });
  const table = (m: Map<string, number>) =>
    top(m, total, (us) => `${(us / perTask).toFixed(1).padStart(8)} µs`);
  return `profiled ${(total / 1e6).toFixed(2)} s\n--- self time\n${table(self)}\n--- inclusive (this repository)\n${table(incl)}\n`;
}

interface HeapNode {
  callFrame: ProfileNode["callFrame"];
  selfSize: number;
  children: HeapNode[];
}
interface HeapProfile {
  head: HeapNode;
}

/** Bytes allocated per task by function: by itself, and under it (functions of this repository). */
function summarizeHeap(p: HeapProfile, perTask: number): string {
  const self = new Map<string, number>();
  const incl = new Map<string, number>();
  let total = 0;
  const walk = (n: HeapNode, above: Set<string>) => {
    const k = label({ id: 0, callFrame: n.callFrame });
    total += n.selfSize;
    self.set(k, (self.get(k) ?? 0) + n.selfSize);
    const path = n.callFrame.url.includes("/packages/") ? new Set(above).add(k) : above;
    for (const a of path) incl.set(a, (incl.get(a) ?? 0) + n.selfSize);
    for (const c of n.children) walk(c, path);
  };
  walk(p.head, new Set());
  const table = (m: Map<string, number>) => top(m, total, (b) => `${(b / perTask).toFixed(0).padStart(8)} B`);
  return `sampled ${(total / perTask).toFixed(0)} B per task\n--- allocated by itself\n${table(self)}\n--- allocated under it (this repository)\n${table(incl)}\n`;
}

/** The TOP entries of `m`, largest first: the amount as `amount` writes it, its share of `total`, the name. */
function top(m: Map<string, number>, total: number, amount: (v: number) => string): string {
  return [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, TOP)
    .map(([k, v]) => `${amount(v)} ${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`)
    .join("\n");
}

function label(n: ProfileNode): string {
  const f = n.callFrame;
  const file = f.url.replace(/^.*?\/(packages|node_modules)\//, "$1/");
  return `${f.functionName || "(anonymous)"} ${file}${file ? `:${f.lineNumber + 1}` : ""}`;
}

/** The split case, profiled in the SwarmNode process (test/fixtures/swarm-node.ts writes it on stop). */
async function profileSplit(heap: boolean): Promise<void> {
  const file = out ?? join(tmpdir(), `swarm-node-${process.pid}.${heap ? "heapprofile" : "cpuprofile"}`);
  process.env[heap ? "SWARM_NODE_HEAP_PROFILE" : "SWARM_NODE_CPU_PROFILE"] = file;
  const nats = await startNats();
  const redis = await startRedis();
  try {
    const r = await splitDispatchCase({
      natsUrl: nats.url,
      redisUrl: redis.url,
      natsPid: nats.pid,
      redisPid: redis.pid,
      natsMonitorUrl: nats.monitorUrl,
      tasks,
      ...FLEET,
    });
    process.stdout.write(`${r.tasks} tasks: ${Math.round(r.tasksPerSecond)} tasks/s; profile in ${file}\n`);
    const profile = JSON.parse(await readFile(file, "utf8"));
    process.stdout.write(
      heap ? summarizeHeap(profile as HeapProfile, r.tasks) : summarize(profile as Profile, r.tasks),
    );
  } finally {
    await redis.stop();
    await nats.stop();
  }
}
