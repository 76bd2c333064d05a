/**
 * Registry micro-benchmark: an index of 10,000 agents on a 1 km × 1 km site, query latencies
 * (p50/p99) for capability + radius and k-nearest, and the rates at which a node absorbs heartbeats
 * and poses. In-process (memory Bus and Store): these are the index's own costs.
 *
 * `npx tsx packages/core/bench/registry.bench.ts` prints the rows; `run()` returns them.
 */
import { pathToFileURL } from "node:url";
import { encodeEnvelope, PresenceStatus, SimulatedClock, subjects, wrap } from "@swarmlink/protocol";
import { MemoryStore } from "@swarmlink/store";
import { MemoryBus } from "@swarmlink/transport";
import { AgentIndex, type AgentInfoInit, Registry, registerAgent } from "../src/registry/mod.js";
import type { AgentQuery } from "../src/types.js";

/** One benchmark figure (the shape of the root bench runner's rows). */
export interface Row {
  suite: string;
  case: string;
  value: number;
  unit: string;
}

const N = 10_000;
const SITE_M = 1000;
const QUERIES = 3000;
const SUITE = "registry";

/** A deterministic pseudo-random source, so every run indexes the same fleet. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function fleetRecord(i: number, r: () => number): AgentInfoInit {
  const caps = ["lift"];
  if (r() < 0.2) caps.push("camera");
  if (r() < 0.1) caps.push("pick");
  if (r() < 0.05) caps.push("charge");
  const u = r();
  const status =
    u < 0.9
      ? PresenceStatus.PRESENCE_STATUS_ONLINE
      : u < 0.95
        ? PresenceStatus.PRESENCE_STATUS_SUSPECT
        : PresenceStatus.PRESENCE_STATUS_OFFLINE;
  const id = `amr-${i}`;
  return {
    descriptor: {
      id,
      capabilities: r() < 0.5 ? caps : caps.slice(1),
      attributes: { zone: "ABCD"[i % 4]! },
      position: { cartesian: { x: r() * SITE_M, y: r() * SITE_M } },
      credits: 2,
    },
    presence: { agentId: id, status, epoch: 1, seq: 0, reason: "bench", sinceMs: 1 },
    registeredMs: 1,
    lastSeenMs: 1,
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function latencies(index: AgentIndex, make: (r: () => number) => AgentQuery, seed: number): number[] {
  const r = rng(seed);
  for (let i = 0; i < 300; i++) index.query(make(r)); // warm-up
  const times: number[] = [];
  for (let i = 0; i < QUERIES; i++) {
    const q = make(r);
    const t0 = performance.now();
    index.query(q);
    times.push((performance.now() - t0) * 1000);
  }
  return times.sort((a, b) => a - b);
}

function queryRows(name: string, times: number[]): Row[] {
  return [
    { suite: SUITE, case: `${name} p50`, value: percentile(times, 50), unit: "µs" },
    { suite: SUITE, case: `${name} p99`, value: percentile(times, 99), unit: "µs" },
  ];
}

/** Builds the index and measures the in-memory costs. */
export function indexRows(): Row[] {
  const rows: Row[] = [];
  const r = rng(42);
  const records = Array.from({ length: N }, (_, i) => fleetRecord(i, r));
  const index = new AgentIndex({ cellSizeM: 10 });
  let t0 = performance.now();
  for (const [i, rec] of records.entries()) index.applyRecord(rec.descriptor!.id!, rec, i + 1);
  rows.push({ suite: SUITE, case: `index ${N} agents`, value: performance.now() - t0, unit: "ms" });

  const at = () => ({ x: r() * SITE_M, y: r() * SITE_M });
  rows.push(
    ...queryRows(
      "capabilities+radius 25 m",
      latencies(
        index,
        () => ({ capabilities: ["lift", "camera"], status: "online", near: { ...at(), radius: 25 } }),
        1,
      ),
    ),
    ...queryRows(
      "capability+radius 100 m",
      latencies(index, () => ({ capabilities: ["lift"], near: { ...at(), radius: 100 } }), 2),
    ),
    ...queryRows(
      "k-nearest 10",
      latencies(index, () => ({ nearest: { ...at(), k: 10 } }), 3),
    ),
    ...queryRows(
      "capability+status k-nearest 5",
      latencies(index, () => ({ capabilities: ["pick"], status: "online", nearest: { ...at(), k: 5 } }), 4),
    ),
    ...queryRows(
      "attribute+status (no spatial)",
      latencies(index, () => ({ attributes: { zone: "B" }, status: "suspect" }), 5),
    ),
  );

  const beats = 200_000;
  for (let i = 0; i < beats; i++) index.heartbeat(`amr-${i % N}`, 1, 0, 1); // warm-up
  t0 = performance.now();
  for (let i = 0; i < beats; i++) index.heartbeat(`amr-${i % N}`, 1, 0, 2 + i);
  rows.push({
    suite: SUITE,
    case: "index heartbeats",
    value: beats / ((performance.now() - t0) / 1000),
    unit: "ops/s",
  });
  t0 = performance.now();
  for (let i = 0; i < beats; i++)
    index.move(`amr-${i % N}`, { cartesian: { x: r() * SITE_M, y: r() * SITE_M } });
  rows.push({
    suite: SUITE,
    case: "index pose moves",
    value: beats / ((performance.now() - t0) / 1000),
    unit: "ops/s",
  });
  return rows;
}

/** A whole Registry on the memory Bus and Store: registrations and heartbeats end to end. */
export async function nodeRows(): Promise<Row[]> {
  const clock = new SimulatedClock(1_700_000_000_000);
  const bus = new MemoryBus({ clock });
  const store = new MemoryStore({ clock });
  const registry = new Registry({ bus, store, clock });
  await registry.start();
  const rows: Row[] = [];
  let t0 = performance.now();
  const batch = 200;
  for (let i = 0; i < N; i += batch) {
    await Promise.all(
      Array.from({ length: batch }, (_, j) =>
        registerAgent(bus, { id: `amr-${i + j}`, capabilities: ["lift"] }, { clock }),
      ),
    );
  }
  rows.push({
    suite: SUITE,
    case: `register ${N} agents (memory)`,
    value: N / ((performance.now() - t0) / 1000),
    unit: "agents/s",
  });
  const frames = Array.from({ length: N }, (_, i) =>
    encodeEnvelope(
      wrap(
        "swarmlink.v1.Heartbeat",
        { agentId: `amr-${i}`, epoch: 1, seq: 1 },
        { source: `amr-${i}` },
        { clock },
      ),
    ),
  );
  const rounds = 5;
  t0 = performance.now();
  for (let k = 0; k < rounds; k++) {
    for (let i = 0; i < N; i++) bus.publish(subjects.agentHeartbeat(`amr-${i}`), frames[i]);
    await new Promise((resolve) => setImmediate(resolve));
  }
  while (registry.stats().heartbeats < rounds * N) await new Promise((resolve) => setImmediate(resolve));
  rows.push({
    suite: SUITE,
    case: "heartbeats decoded and applied (memory)",
    value: (rounds * N) / ((performance.now() - t0) / 1000),
    unit: "msg/s",
  });
  await registry.stop();
  await bus.close();
  await store.close();
  return rows;
}

export async function run(): Promise<Row[]> {
  return [...indexRows(), ...(await nodeRows())];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = await run();
  for (const row of rows) {
    const v = row.value >= 100 ? Math.round(row.value).toLocaleString("en") : row.value.toFixed(1);
    process.stdout.write(`${row.case.padEnd(40)} ${v.padStart(12)} ${row.unit}\n`);
  }
}
