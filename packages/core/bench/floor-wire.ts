/** What both halves of the dispatch floor (dispatch-floor.ts, floor-coordinator.ts) agree on. */

/** Sizes in bytes of the messages a `queue` task makes, as the dispatcher encodes them. */
export interface FloorSizes {
  /** The submitted Task Envelope. */
  task: number;
  /** A task record as stored, and a TaskInfo event or answer (about the same size). */
  record: number;
  event: number;
  /** The Award Envelope. */
  award: number;
  /** A TaskResult Envelope (an award's answer, a report). */
  result: number;
}

export const FLOOR = {
  stream: "BENCH_FLOOR",
  submit: "floor.submit",
  durable: "coordinator",
  pullBatch: 256,
  maxAckPending: 1000,
  reports: "floor.report.*",
  reportBatches: "floor.reports.batch",
  reportPrefix: "floor.report.",
  awardPrefix: "floor.agent.",
  events: "floor.events.",
  revKey: "{floor}:rev",
  valuePrefix: "{floor}:v:",
  changesKey: "{floor}:changes",
  /**
   * A record write as the Redis Store makes one, minus the compare-and-set and lease bookkeeping:
   * next revision, value HASH, change stream entry.
   */
  writeScript: `
local rev = redis.call('INCR', KEYS[1])
redis.call('HSET', KEYS[2], 'v', ARGV[2], 'r', rev)
redis.call('XADD', KEYS[3], 'MAXLEN', '~', 10000, rev .. '-0', 'o', 'put', 'k', ARGV[1], 'v', ARGV[2])
return rev
`,
} as const;

/** Payloads of the sizes given (their content does not matter to the servers). */
export function floorBytes(s: FloorSizes) {
  return {
    task: new Uint8Array(s.task),
    record: new Uint8Array(s.record),
    event: new Uint8Array(s.event),
    award: new Uint8Array(s.award),
    result: new Uint8Array(s.result),
  };
}

/** A batch message naming `ids`, padded to `each` bytes per id (the size of that many messages). */
export function batchBytes(ids: string[], each: number): Uint8Array {
  const text = new TextEncoder().encode(ids.join(","));
  const out = new Uint8Array(Math.max(text.length, each * ids.length));
  out.set(text);
  return out;
}

export function idsOf(data: Uint8Array): string[] {
  const end = data.indexOf(0);
  return new TextDecoder().decode(end < 0 ? data : data.subarray(0, end)).split(",");
}
