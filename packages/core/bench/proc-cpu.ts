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
