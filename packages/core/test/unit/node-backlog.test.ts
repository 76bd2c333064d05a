import assert from "node:assert/strict";
import { SimulatedWorker, SwarmNode, TaskClient } from "@swarmlink/core";
import { MemoryStore } from "@swarmlink/store";
import { MemoryBus } from "@swarmlink/transport";

/**
 * The embedded swarm runs its whole pipeline (stream → intake → Store → award → agent → report) in
 * one process on promises. A backlog must not keep the event loop from its timers: the leader's
 * lease renewal is one, and a leader that cannot renew steps down mid-run.
 */
describe("SwarmNode (embedded) under a backlog", () => {
  it("keeps its leadership (one term) while it works through thousands of tasks submitted at once", async function () {
    this.timeout(60_000);
    const bus = new MemoryBus();
    const store = new MemoryStore();
    const node = await SwarmNode.start({ bus, store, nodeId: "n1", leaseMs: 1000, renewMs: 250 });
    const workers = Array.from(
      { length: 10 },
      (_, i) =>
        new SimulatedWorker(
          bus,
          { id: `bot-${i}`, kind: 2, capabilities: ["pick"], credits: 20 },
          { workMs: 0, heartbeatIntervalMs: 200 },
        ),
    );
    try {
      await node.leadership.waitForLeadership();
      for (const w of workers) await w.start();
      const client = new TaskClient({ bus, timeoutMs: 60_000 });
      const n = 4000;
      // No yield between submissions: everything is queued in one go.
      await Promise.all(
        Array.from({ length: n }, () => client.submit({ kind: "pick", capabilities: ["pick"] })),
      );
      const succeeded = () => node.dispatcher.stats().finished.SUCCEEDED ?? 0;
      while (succeeded() < n) await new Promise((r) => setTimeout(r, 20));
      const stats = node.dispatcher.stats();
      assert.equal(stats.terms, 1, `the leader lost its lease ${stats.terms - 1} time(s) during the backlog`);
      assert.equal(
        workers.reduce((k, w) => k + w.runs.length, 0),
        n,
        "each task ran once",
      );
    } finally {
      for (const w of workers) w.close();
      await node.stop();
      await store.close();
      await bus.close();
    }
  });
});
