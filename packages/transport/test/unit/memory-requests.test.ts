import assert from "node:assert/strict";
import { isSwarmError } from "@swarmlink/protocol";
import { MemoryBus, type Msg } from "../../src/mod.js";
import { bytes, text } from "../../src/testing/helpers.js";

describe("memory Bus requests (an inbox each, no subscription)", () => {
  it("pairs each of many concurrent requests with its own reply", async () => {
    const bus = new MemoryBus();
    bus.subscribe("svc.echo", { callback: (_e, m) => m.respond(m.data) });
    const asked = Array.from({ length: 500 }, (_, i) => `q${i}`);
    const answers = await Promise.all(asked.map((q) => bus.request("svc.echo", bytes(q), { timeout: 2000 })));
    assert.deepEqual(
      answers.map((m) => text(m.data)),
      asked,
    );
    await bus.close();
  });

  it("takes the first reply only; a subscriber of the inboxes sees every reply", async () => {
    const bus = new MemoryBus();
    const seen: string[] = [];
    bus.subscribe("_INBOX.>", { callback: (_e, m) => seen.push(text(m.data)) });
    bus.subscribe("svc.twice", {
      callback: (_e, m) => {
        m.respond(bytes("first"));
        m.respond(bytes("second"));
      },
    });
    const reply: Msg = await bus.request("svc.twice", bytes("?"), { timeout: 2000 });
    assert.equal(text(reply.data), "first");
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(seen, ["first", "second"]);
    await bus.close();
  });

  it("rejects a request still waiting when the Bus closes with E_CLOSED", async () => {
    const bus = new MemoryBus();
    bus.subscribe("svc.mute", { callback: () => {} });
    const pending = bus.request("svc.mute", bytes("?"), { timeout: 10_000 });
    await bus.close();
    await assert.rejects(pending, (err) => isSwarmError(err, "E_CLOSED"));
  });

  it("refuses a reply published on a malformed subject as any publish, and a late reply goes nowhere", async () => {
    const bus = new MemoryBus();
    let late: Msg | undefined;
    bus.subscribe("svc.slow", {
      callback: (_e, m) => {
        late = m;
      },
    });
    await assert.rejects(bus.request("svc.slow", bytes("?"), { timeout: 20 }), (err) =>
      isSwarmError(err, "E_TIMEOUT"),
    );
    assert.equal(late?.respond(bytes("too late")), true);
    assert.throws(
      () => bus.publish("_INBOX.a..b", bytes("x")),
      (err) => isSwarmError(err, "E_INVALID"),
    );
    await bus.close();
  });
});
