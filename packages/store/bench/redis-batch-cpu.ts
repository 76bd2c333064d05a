/**
 * What one batched RedisStore write costs, on each side: `node --import tsx
 * packages/store/bench/redis-batch-cpu.ts [rounds]`. Writes in runs of 26 (a create then an update
 * per key, as a busy dispatcher writes task records) against a private redis-server, and prints this
 * process's CPU per write (the client: the store, the batcher, ioredis) and the script's time in
 * Redis per write (its `commandstats`). A diagnostic, not a suite of `npm run bench`: compare two
 * builds by running it from each in turn.
 */
import { startRedis } from "@swarmlink/harness";
import { Redis } from "ioredis";
import { RedisStore } from "../src/mod.js";

const WRITES_PER_RUN = 26;
const RUNS = 4000;
const rounds = Number(process.argv[2] ?? 3);

const redis = await startRedis();
const store = await RedisStore.connect({ url: redis.url });
const raw = new Redis(redis.url);
const value = new Uint8Array(262).fill(7); // a task record's size
let n = 0;
try {
  for (let round = 0; round < rounds; round++) {
    await raw.config("RESETSTAT");
    const cpu0 = process.cpuUsage();
    for (let r = 0; r < RUNS; r++) {
      const keys = Array.from({ length: WRITES_PER_RUN }, () => `tasks.t${n++}`);
      const revisions = await Promise.all(keys.map((k) => store.create(k, value)));
      await Promise.all(keys.map((k, i) => store.update(k, value, revisions[i]!)));
    }
    const cpu = process.cpuUsage(cpu0);
    const stats = /cmdstat_evalsha:calls=\d+,usec=(\d+)/.exec(await raw.info("commandstats"));
    const writes = RUNS * WRITES_PER_RUN * 2;
    process.stdout.write(
      `client ${((cpu.user + cpu.system) / writes).toFixed(2)} µs per write, ` +
        `Redis ${(Number(stats?.[1]) / writes).toFixed(2)} µs per write\n`,
    );
  }
} finally {
  raw.disconnect();
  await store.close();
  await redis.stop();
}
