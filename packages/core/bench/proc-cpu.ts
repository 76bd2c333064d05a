import { readFileSync } from "node:fs";

/** USER_HZ: the unit of /proc's CPU times, 100 on every Linux build in use. */
const CLOCK_TICKS_PER_SECOND = 100;

/** User + system CPU time of process `pid` so far, in ms; NaN where /proc cannot tell (not Linux). */
export function processCpuMs(pid: number | undefined): number {
  try {
    // Fields 14 and 15 of /proc/<pid>/stat, after the parenthesised command name (which may hold spaces).
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(f[11]) + Number(f[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

/** Returns a function giving each pid's CPU time in ms since this call (NaN where /proc cannot tell). */
export function cpuReader(pids: number[]): () => number[] {
  const start = pids.map(processCpuMs);
  return () => pids.map((p, i) => processCpuMs(p) - start[i]!);
}

/**
 * CPU per task of each process a NATS + Redis dispatch run loads, in µs: the coordinator (the
 * SwarmNode, or the floor's plain-client stand-in), the submitters' and agents' process, the
 * nats-server and the redis-server. Their sum against the machine's cores bounds tasks/s.
 */
export interface CpuPerTask {
  coordinator: number;
  clients: number;
  natsServer: number;
  redisServer: number;
}

/** The sum of a {@link CpuPerTask}: the machine's CPU per task. */
export function machineCpu(c: CpuPerTask): number {
  return c.coordinator + c.clients + c.natsServer + c.redisServer;
}

/** One line for a progress report: each process's share and the sum. */
export function describeCpu(c: CpuPerTask): string {
  const us = (v: number) => `${Math.round(v)} µs`;
  return (
    `CPU per task: coordinator ${us(c.coordinator)}, clients ${us(c.clients)}, ` +
    `nats-server ${us(c.natsServer)}, redis-server ${us(c.redisServer)}; machine ${us(machineCpu(c))}`
  );
}
