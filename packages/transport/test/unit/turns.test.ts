import assert from "node:assert/strict";
import { MemoryBus } from "../../src/mod.js";
import { microtask, TURN_BUDGET_MS } from "../../src/turns.js";

describe("deliveries that cause deliveries (turns.ts)", () => {
  it("let a timer run while a ping-pong between two subscribers goes on", async () => {
    const bus = new MemoryBus();
    let hops = 0;
    let hopsWhenTimerRan = -1;
    const stopAt = 200_000;
    const done = new Promise<void>((resolve) => {
      for (const [from, to] of [
        ["ping", "pong"],
        ["pong", "ping"],
      ] as const) {
        bus.subscribe(from, {
          callback: () => {
            if (++hops >= stopAt) resolve();
            else bus.publish(to, new Uint8Array(0));
          },
        });
      }
    });
    setTimeout(() => {
      hopsWhenTimerRan = hops;
    }, 0);
    bus.publish("ping", new Uint8Array(0));
    await done;
    await bus.close();
    assert.ok(hopsWhenTimerRan >= 0, "the timer ran");
    assert.ok(hopsWhenTimerRan < stopAt, `the timer waited for the whole chain (${hopsWhenTimerRan} hops)`);
  });

  it("let a timer run while a stream consumer works through a deep backlog", async () => {
    const bus = new MemoryBus();
    await bus.streams.ensure({ name: "DEEP", subjects: ["deep"] });
    const n = 50_000;
    await Promise.all(Array.from({ length: n }, () => bus.streams.publish("deep", new Uint8Array(8))));
    const consumer = await bus.streams.consumer("DEEP", { name: "c", maxInFlight: n });
    let taken = 0;
    let takenWhenTimerRan = -1;
    setTimeout(() => {
      takenWhenTimerRan = taken;
    }, 0);
    const stream = consumer.consume({ maxMessages: 64 });
    for await (const m of stream) {
      m.ack();
      if (++taken === n) break;
    }
    await bus.close();
    assert.ok(
      takenWhenTimerRan >= 0 && takenWhenTimerRan < n,
      `timer ran after ${takenWhenTimerRan} of ${n}`,
    );
  });

  it("make a memory Bus flush wait for deliveries deferred to the next turn", async () => {
    const bus = new MemoryBus();
    let delivered = 0;
    bus.subscribe("s", { callback: () => delivered++ });
    await new Promise<void>((resolve) => setImmediate(resolve)); // a fresh run of microtasks
    bus.publish("s", new Uint8Array(0)); // starts the run: delivered as a microtask
    await Promise.resolve();
    assert.equal(delivered, 1);
    const spinUntil = performance.now() + TURN_BUDGET_MS + 2;
    while (performance.now() < spinUntil); // the run is now past its budget
    bus.publish("s", new Uint8Array(0)); // deferred to the next turn
    await bus.flush();
    assert.equal(delivered, 2, "flush resolved before the deferred delivery");
    await bus.close();
  });

  it("run microtask() callbacks in the microtask queue, in order with the others, a throw as an uncaught exception", async () => {
    const order: string[] = [];
    queueMicrotask(() => order.push("a"));
    microtask(() => order.push("b"));
    void Promise.resolve().then(() => order.push("c"));
    microtask(() => order.push("d"));
    setImmediate(() => order.push("immediate"));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(order, ["a", "b", "c", "d", "immediate"]);

    const listeners = process.listeners("uncaughtException");
    // mocha's own handler would fail the test: this one takes the error instead.
    process.removeAllListeners("uncaughtException");
    const rejected: unknown[] = [];
    const onRejection = (e: unknown) => rejected.push(e);
    process.on("unhandledRejection", onRejection);
    try {
      const boom = new Error("boom");
      const seen = new Promise<unknown>((resolve) => process.once("uncaughtException", resolve));
      microtask(() => {
        throw boom;
      });
      assert.equal(await seen, boom);
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(rejected, [], "not an unhandled rejection");
    } finally {
      process.off("unhandledRejection", onRejection);
      for (const l of listeners) process.on("uncaughtException", l);
    }
  });
});
