import assert from "node:assert/strict";
import { SwarmNode } from "@swarmlink/core";
import { MemoryStore } from "@swarmlink/store";
import { MemoryBus } from "@swarmlink/transport";
import { connect } from "../src/mod.js";

/** Polls `cond` every 10 ms until it holds; fails naming `what` after `ms`. */
export async function waitUntil(
  cond: () => boolean | Promise<boolean>,
  ms: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) assert.fail(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An embedded SwarmNode on a memory Bus and Store, leading, and a Swarm connected to it; `stop()` closes all. */
export async function embeddedSwarm(name = "tester") {
  const bus = new MemoryBus();
  const store = new MemoryStore();
  const node = await SwarmNode.start({ bus, store, nodeId: "n1", leaseMs: 600, renewMs: 150 });
  await waitUntil(() => node.leadership.isLeader, 5000, "the node to lead");
  const swarm = await connect({ bus, store, name });
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
