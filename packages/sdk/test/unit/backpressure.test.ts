import assert from "node:assert/strict";
import { SwarmNode } from "@swarmlink/core";
import { subjectPatterns } from "@swarmlink/protocol";
import { MemoryStore } from "@swarmlink/store";
import { type Bus, MemoryBus } from "@swarmlink/transport";
import { connect } from "../../src/mod.js";
import { sleep, waitUntil } from "../helpers.js";

/** A Bus whose link takes `delayMs` per flush: a slow radio. */
function slowLink(bus: MemoryBus, delayMs: number): Bus {
  return new Proxy(bus, {
    get(target, prop, receiver) {
      if (prop === "flush") return () => sleep(delayMs);
      const v = Reflect.get(target, prop, receiver);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

describe("telemetry on a slow link (memory Bus)", () => {
  it("keeps each buffer within its capacity, counts drops, and lets the link pace the sending", async () => {
    const bus = new MemoryBus();
    const store = new MemoryStore();
    const node = await SwarmNode.start({ bus, store, nodeId: "n1", leaseMs: 600, renewMs: 150 });
    const swarm = await connect({ bus: slowLink(bus, 50), store });
    const agent = await swarm.agent({ id: "amr-bp", telemetryCapacity: 32, telemetryBatch: 8 });
    const got: string[] = [];
    const sub = bus.subscribe(subjectPatterns.agentTelemetry("amr-bp"), {
      callback: (_e, m) => got.push(m.subject),
    });
    try {
      let maxSize = 0;
      for (let i = 0; i < 5000; i++) {
        agent.telemetry("pose", { x: i, y: i }, { conflate: true });
        agent.telemetry("diag", { i });
        const s = agent.telemetryStats();
        maxSize = Math.max(maxSize, s.queued.size, s.conflated.size);
        if (i % 500 === 0) await sleep(1);
      }
      const s = agent.telemetryStats();
      assert.ok(maxSize <= 32, `a buffer held ${maxSize} > 32`);
      assert.ok(s.queued.dropped > 4000, `drops counted: ${s.queued.dropped}`);
      assert.ok(s.conflated.dropped > 4000, `conflations counted: ${s.conflated.dropped}`);
      assert.ok(s.sent < 200, `sent ${s.sent}: the link paces the sending`);
      await waitUntil(() => agent.telemetryStats().queued.size === 0, 5000, "the buffers to empty");
    } finally {
      sub.unsubscribe();
      await swarm.close();
      await node.stop();
      await store.close();
      await bus.close();
    }
  });
});
