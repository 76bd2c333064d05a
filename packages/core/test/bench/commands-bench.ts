/**
 * Command throughput and latency, on the memory Bus + Store and on NATS + Redis (private servers).
 * Run: `cd packages/core && node --import tsx test/bench/commands-bench.ts [count]`
 */
import { startNats, startRedis } from "@swarmlink/harness";
import { CommandReceiptState } from "@swarmlink/protocol";
import { MemoryStore, RedisStore, type Store } from "@swarmlink/store";
import { type Bus, MemoryBus, NatsBus } from "@swarmlink/transport";
import { CommandClient } from "../../src/commands/client.js";
import { CommandRouter } from "../../src/commands/router.js";
import { eventually, MapDirectory, ok, TestAgent } from "../unit/command-helpers.js";

const COUNT = Number(process.argv[2] ?? 1000);
/** Queued commands per agent: the default `maxQueuedPerAgent`. */
const QUEUED = 256;

function pct(sorted: number[], p: number): string {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!.toFixed(2);
}

async function bench(label: string, bus: Bus, agentBus: Bus, store: Store): Promise<void> {
  const directory = new MapDirectory();
  const router = new CommandRouter({ bus, store, directory });
  await router.start();
  const client = new CommandClient({ bus });
  const agent = new TestAgent(agentBus, "amr-01", { go: ok }).connect();
  await agentBus.flush();
  directory.set("amr-01", "online");

  const lat: number[] = [];
  let t0 = performance.now();
  for (let i = 0; i < COUNT; i++) {
    const s = performance.now();
    const r = await client.send("amr-01", "go", { i });
    if (r.state !== CommandReceiptState.COMMAND_RECEIPT_STATE_REPLIED) throw new Error("not replied");
    lat.push(performance.now() - s);
  }
  const seqMs = performance.now() - t0;
  lat.sort((a, b) => a - b);
  t0 = performance.now();
  const inFlight = 64;
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < COUNT) {
        next++;
        await client.send("amr-01", "go", {});
      }
    }),
  );
  const parMs = performance.now() - t0;

  agent.disconnect();
  directory.set("amr-01", "offline");
  t0 = performance.now();
  for (let i = 0; i < QUEUED; i++) await client.send("amr-01", "go", { i }, { ttlMs: 600_000 });
  const queueMs = performance.now() - t0;
  const before = router.stats().replied;
  t0 = performance.now();
  agent.connect();
  await agentBus.flush();
  directory.set("amr-01", "online");
  await eventually(() => router.stats().replied === before + QUEUED, "drained", 600_000);
  const drainMs = performance.now() - t0;

  console.log(
    `${label}: online sequential p50 ${pct(lat, 50)} ms, p99 ${pct(lat, 99)} ms, ${((COUNT / seqMs) * 1000).toFixed(0)}/s; ` +
      `online ${inFlight} in flight ${((COUNT / parMs) * 1000).toFixed(0)}/s; ` +
      `${QUEUED} queued ${((QUEUED / queueMs) * 1000).toFixed(0)}/s, drained on reconnect ${((QUEUED / drainMs) * 1000).toFixed(0)}/s`,
  );
  agent.disconnect();
  await router.stop();
}

const memBus = new MemoryBus();
const memStore = new MemoryStore();
await bench("memory", memBus, memBus, memStore);
await memBus.close();
await memStore.close();

const [nats, redis] = await Promise.all([startNats(), startRedis()]);
const bus = await NatsBus.connect({ servers: nats.url });
const agentBus = await NatsBus.connect({ servers: nats.url });
const store = await RedisStore.connect({ url: redis.url });
await bench("nats+redis", bus, agentBus, store);
await Promise.all([bus.close(), agentBus.close(), store.close()]);
await Promise.all([nats.stop(), redis.stop()]);
