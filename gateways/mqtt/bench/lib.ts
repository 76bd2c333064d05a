/** Helpers of the gateway benchmarks; the rest comes from the root runner's bench/lib. */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "../../../bench/lib/child.js";

export { Worker } from "../../../bench/lib/child.js";
export { percentile } from "../../../bench/lib/stats.js";
export type { Row } from "../../../bench/lib/types.js";
export { latency, throughput } from "../../../bench/lib/types.js";

/** A script beside this file (publisher.ts, server.ts…) in its own process under tsx. */
export function benchChild(script: string, args: string[]): Worker {
  return new Worker(fileURLToPath(new URL(script, import.meta.url)), args);
}

/** VmRSS of a process in KiB, from /proc (Linux). */
export function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]);
}

/** The soft limit on open files of this process (children inherit it). */
export function openFileLimit(): number {
  const m = /Max open files\s+(\d+|unlimited)/.exec(readFileSync("/proc/self/limits", "utf8"));
  return !m || m[1] === "unlimited" ? Number.POSITIVE_INFINITY : Number(m[1]);
}

/**
 * mosquitto.conf lines of every benchmark broker: Mosquitto leaves Nagle's algorithm on by default
 * (`set_tcp_nodelay false`), which with delayed ACKs adds ~40 ms to each QoS 1 round trip.
 */
export const MOSQUITTO_CONFIG = "set_tcp_nodelay true";
