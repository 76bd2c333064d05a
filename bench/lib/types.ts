/** One benchmark figure, with the raw baseline measured in the same run where there is one. */
export interface Row {
  suite: string;
  case: string;
  value: number;
  unit: string;
  /** The raw client's figure for the same work, e.g. plain nats.js on the same server. */
  baseline?: number;
  /** value / baseline for throughput; baseline / value for latency (higher is better either way). */
  ratio?: number;
}

export interface Suite {
  name: string;
  description: string;
  run(progress: (msg: string) => void): Promise<Row[]>;
}

/** A row whose ratio reads "higher is better" for throughput (value/baseline). */
export function throughput(suite: string, name: string, value: number, unit: string, baseline?: number): Row {
  return { suite, case: name, value, unit, baseline, ratio: baseline ? value / baseline : undefined };
}

/** A row whose ratio reads "higher is better" for latency (baseline/value). */
export function latency(suite: string, name: string, value: number, unit: string, baseline?: number): Row {
  return { suite, case: name, value, unit, baseline, ratio: baseline ? baseline / value : undefined };
}
