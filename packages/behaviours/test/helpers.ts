import { SwarmNode } from "@swarmlink/core";
import { connect } from "@swarmlink/sdk";
import { MemoryStore } from "@swarmlink/store";
import { MemoryBus } from "@swarmlink/transport";
import { until as waitUntil } from "@swarmlink/transport/testing";
import type { BoundBehaviour } from "../src/mod.js";

/** Polls `cond` every 10 ms until it holds; fails naming `what` after `ms` (the transport's helper). */
export { waitUntil };

/**
 * An embedded SwarmNode (memory Bus and Store), leading, with a Swarm connected to it; `bound`
 * collects bindings for `stop()`, which stops them and closes everything.
 */
export async function embeddedSwarm(name: string) {
  const bus = new MemoryBus();
  const store = new MemoryStore();
  const node = await SwarmNode.start({ bus, store, nodeId: "n1", leaseMs: 600, renewMs: 150 });
  await waitUntil(() => node.leadership.isLeader, 5000, "the node to lead");
  const swarm = await connect({ bus, store, name });
  const bound: BoundBehaviour<never>[] = [];
  return {
    bus,
    store,
    node,
    swarm,
    bound,
    async stop() {
      await Promise.all(bound.splice(0).map((b) => b.stop()));
      await swarm.close();
      await node.stop();
      await store.close();
      await bus.close();
    },
  };
}
