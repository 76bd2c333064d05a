import { randomUUID } from "node:crypto";
import { type ServerHandle, startRedis } from "@swarmlink/harness";
import { MemoryStore, RedisStore } from "@swarmlink/store";
import { storeConformance } from "@swarmlink/store/testing";

storeConformance("memory", async () => ({ store: new MemoryStore() }));

describe("on private servers", () => {
  let redis: ServerHandle;

  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis?.stop();
  });

  storeConformance("redis", async () => {
    const namespace = `t-${randomUUID()}`;
    const open = () => RedisStore.connect({ url: redis.url, namespace });
    return { store: await open(), peer: open };
  });
});
