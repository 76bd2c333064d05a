import { fileURLToPath } from "node:url";
import { connect } from "@nats-io/transport-node";
import { startNats } from "@swarmlink/harness";
import { NatsBus } from "@swarmlink/transport";
import { Worker } from "../lib/child.js";
import { percentile } from "../lib/stats.js";
import { latency, type Row, type Suite, throughput } from "../lib/types.js";

const CORE = fileURLToPath(new URL("../workers/core.ts", import.meta.url));
const MESSAGES = 400_000;
const SIZE = 128;
const REQUESTS = 5000;
const ROUNDS = 3;

/** Subscriber and publisher in two processes; msg/s as the subscriber sees them. */
async function pubSub(mode: "raw" | "bus", url: string, subject: string): Promise<number> {
  const sub = new Worker(CORE, ["sub", mode, url, subject, String(MESSAGES)]);
  await sub.line();
  const pub = new Worker(CORE, ["pub", mode, url, subject, String(MESSAGES), String(SIZE)]);
  const { count, ms } = JSON.parse(await sub.line(120_000)) as { count: number; ms: number };
  await pub.exited();
  await sub.stop();
  return (count / ms) * 1000;
}

/** Sequential requests to an echo responder in another process; latencies in ms. */
async function requestReply(mode: "raw" | "bus", url: string, subject: string): Promise<number[]> {
  const echo = new Worker(CORE, ["echo", "raw", url, subject]);
  await echo.line();
  const data = new Uint8Array(SIZE);
  const times: number[] = [];
  if (mode === "raw") {
    const nc = await connect({ servers: url });
    for (let i = 0; i < REQUESTS; i++) {
      const t0 = performance.now();
      await nc.request(subject, data, { timeout: 2000 });
      times.push(performance.now() - t0);
    }
    await nc.close();
  } else {
    const bus = await NatsBus.connect({ servers: url });
    for (let i = 0; i < REQUESTS; i++) {
      const t0 = performance.now();
      await bus.request(subject, data, { timeout: 2000 });
      times.push(performance.now() - t0);
    }
    await bus.close();
  }
  await echo.stop();
  return times.slice(REQUESTS / 10); // the first tenth warms up the JIT and the connection
}

const best = (xs: number[]) => Math.max(...xs);

export const busSuite: Suite = {
  name: "bus",
  description: `NATS Bus against raw nats.js: pub→sub across processes (${SIZE} B), request/reply latency`,
  async run(progress) {
    const server = await startNats({ jetstream: false });
    try {
      const raw: number[] = [];
      const bus: number[] = [];
      // Interleaved rounds, best of each: both sides see the same machine noise.
      for (let r = 0; r < ROUNDS; r++) {
        progress(`pub→sub round ${r + 1}/${ROUNDS}`);
        raw.push(await pubSub("raw", server.url, `bench.raw.${r}`));
        bus.push(await pubSub("bus", server.url, `bench.bus.${r}`));
      }
      progress("request/reply");
      const rawLat = await requestReply("raw", server.url, "bench.req.raw");
      const busLat = await requestReply("bus", server.url, "bench.req.bus");
      const rows: Row[] = [
        throughput("bus", `pub→sub ${SIZE} B, 2 processes`, best(bus), "msg/s", best(raw)),
        latency("bus", "request/reply p50", percentile(busLat, 50), "ms", percentile(rawLat, 50)),
        latency("bus", "request/reply p99", percentile(busLat, 99), "ms", percentile(rawLat, 99)),
      ];
      return rows;
    } finally {
      await server.stop();
    }
  },
};
