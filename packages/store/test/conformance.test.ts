import { randomUUID } from "node:crypto";
import { type NatsServer, type ServerHandle, startNats, startRedis } from "@swarmlink/harness";
import { MemoryStore, NatsKvStore, RedisStore } from "@swarmlink/store";
import { storeConformance } from "@swarmlink/store/testing";

storeConformance("memory", async () => ({ store: new MemoryStore() }));

describe("on private servers", () => {
  let redis: ServerHandle;
  let nats: NatsServer;

  before(async () => {
    [redis, nats] = await Promise.all([startRedis(), startNats()]);
  });
  after(async () => {
    await Promise.all([redis?.stop(), nats?.stop()]);
  });

  storeConformance("redis", async () => {
    const namespace = `t-${randomUUID()}`;
    const open = () => RedisStore.connect({ url: redis.url, namespace });
    return { store: await open(), peer: open };
  });

  storeConformance("nats-kv", async () => {
    const bucket = `t-${randomUUID()}`;
    const open = () => NatsKvStore.connect({ servers: nats.url, bucket });
    return { store: await open(), peer: open };
  });
});
