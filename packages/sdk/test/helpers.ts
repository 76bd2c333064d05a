import { SwarmNode } from "@swarmlink/core";
import type { NatsServer, ServerHandle } from "@swarmlink/harness";
import { MemoryStore, RedisStore, type Store } from "@swarmlink/store";
import { type Bus, MemoryBus, NatsBus } from "@swarmlink/transport";
import { until as waitUntil } from "@swarmlink/transport/testing";
import { connect } from "../src/mod.js";

/** Polls `cond` every 10 ms until it holds; fails naming `what` after `ms` (the transport's helper). */
export { waitUntil };

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An embedded SwarmNode on a memory Bus and Store, leading, and a Swarm connected to it; `stop()` closes all. */
export async function embeddedSwarm(name = "tester") {
  return swarmOn(new MemoryBus(), new MemoryStore(), name);
}

/**
 * The same on real servers: a SwarmNode on NATS and Redis, and a Swarm that connects over NATS by
 * itself (`connect({ servers })`), as an agent on another machine would.
 */
export async function natsSwarm(nats: NatsServer, redis: ServerHandle, name = "tester") {
  const bus = await NatsBus.connect({ servers: nats.url, name: "sdk-test-node" });
  const store = await RedisStore.connect({
    url: redis.url,
    namespace: `sdk-${Date.now()}-${Math.random().toString(36).slice(2)}`,
  });
  return swarmOn(bus, store, name, nats.url);
}

async function swarmOn(bus: Bus, store: Store, name: string, servers?: string) {
  const node = await SwarmNode.start({ bus, store, nodeId: "n1", leaseMs: 600, renewMs: 150 });
  await waitUntil(() => node.leadership.isLeader, 5000, "the node to lead");
  const swarm = servers ? await connect({ servers, name }) : await connect({ bus, store, name });
  return {
    bus,
    store,
    node,
    swarm,
    async stop() {
      await swarm.close();
      await node.stop();
      await store.close();
      await bus.close();
    },
  };
}
