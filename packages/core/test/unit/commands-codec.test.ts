import assert from "node:assert/strict";
import { isSwarmError, kvKeys, SimulatedClock, SwarmError, ulid } from "@swarmlink/protocol";
import { MemoryStore } from "@swarmlink/store";
import { MemoryBus } from "@swarmlink/transport";
import fc from "fast-check";
import { CommandClient } from "../../src/commands/client.js";
import { commandIdFor, consumerNameFor, isCommandId } from "../../src/commands/ids.js";
import { decodeQueueIndex, encodeQueueIndex, QueueIndex } from "../../src/commands/queue-index.js";
import { CommandRouter } from "../../src/commands/router.js";
import { fromErrorPayload, toErrorPayload } from "../../src/commands/wire.js";
import { MapDirectory } from "./command-helpers.js";

const entry = fc.record({
  id: fc.oneof(
    fc.constant(null).map(() => ulid()),
    fc.stringMatching(/^[0-9a-f]{32}$/).map((h) => `ik-${h}`),
  ),
  name: fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/),
  deadlineMs: fc.integer({ min: 0, max: 2 ** 47 }),
});

describe("the queue index codec", () => {
  it("reads back what it wrote, for any entries", () => {
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 20 }), (entries) => {
        assert.deepEqual(
          decodeQueueIndex(encodeQueueIndex(entries)),
          entries.map((e) => ({ ...e })),
        );
      }),
      { numRuns: 300 },
    );
  });

  it("turns any other bytes into entries or E_DECODE, never anything else", () => {
    const jsonish = fc.jsonValue().map((v) => new TextEncoder().encode(JSON.stringify({ v: 1, entries: v })));
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), jsonish), (bytes) => {
        try {
          for (const e of decodeQueueIndex(bytes)) assert.ok(isCommandId(e.id));
        } catch (err) {
          assert.ok(isSwarmError(err, "E_DECODE"), String(err));
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe("the queue index in the Store", () => {
  it("conflates by name, removes settled entries and deletes itself once empty", async () => {
    const clock = new SimulatedClock(1_700_000_000_000);
    const store = new MemoryStore({ clock });
    const index = new QueueIndex({ store, clock, graceMs: 1000, maxEntries: 10 });
    const [a, b, c] = [ulid(), ulid(), ulid()];
    const d = clock.now() + 5000;
    assert.deepEqual(await index.add("r1", { id: a, name: "speed", deadlineMs: d }, false), []);
    await index.add("r1", { id: b, name: "dock", deadlineMs: d }, false);
    const gone = await index.add("r1", { id: c, name: "speed", deadlineMs: d + 1 }, true);
    assert.deepEqual(
      gone.map((e) => e.id),
      [a],
    );
    assert.deepEqual(
      await index.add("r1", { id: c, name: "speed", deadlineMs: d + 1 }, true),
      [],
      "idempotent",
    );
    assert.deepEqual(
      (await index.entries("r1")).map((e) => e.id),
      [b, c],
    );
    await index.remove("r1", [b, c]);
    assert.equal(await store.get(kvKeys.commandQueue("r1")), undefined);
    await index.add("r1", { id: a, name: "x", deadlineMs: d }, false);
    clock.advance(5000 + 1000 + 1);
    assert.equal(await store.get(kvKeys.commandQueue("r1")), undefined, "its TTL bounds a forgotten index");
    await store.close();
  });
});

describe("command ids", () => {
  it("derive from agent and idempotency key, the same everywhere and apart per agent", async () => {
    const a = await commandIdFor("amr-07", "order-1");
    assert.equal(a, await commandIdFor("amr-07", "order-1"));
    assert.notEqual(a, await commandIdFor("amr-08", "order-1"));
    assert.notEqual(await commandIdFor("a", "bc"), await commandIdFor("ab", "c"));
    assert.ok(isCommandId(a) && isCommandId(ulid()) && !isCommandId("cmd-1"));
    await assert.rejects(commandIdFor("amr-07", ""), (e) => isSwarmError(e, "E_INVALID"));
    await assert.rejects(commandIdFor("amr-07", "k".repeat(257)), (e) => isSwarmError(e, "E_INVALID"));
    await assert.rejects(
      commandIdFor("amr-07", "a\ud800"),
      (e) => isSwarmError(e, "E_INVALID"),
      "lone surrogate",
    );
  });

  it("name drain consumers legibly, or by hash when the agent id has other characters", async () => {
    assert.equal(await consumerNameFor("amr-07"), "cmdq-amr-07");
    const hashed = await consumerNameFor("robot:7@site");
    assert.match(hashed, /^cmdq_[0-9a-f]{40}$/);
    assert.notEqual(hashed, await consumerNameFor("robot:8@site"));
  });
});

describe("command options and errors", () => {
  it("refuse bad router and client options with E_CONFIG naming the field", () => {
    const bus = new MemoryBus();
    const store = new MemoryStore();
    const directory = new MapDirectory();
    const base = { bus, store, directory };
    const bad: [Record<string, unknown>, string][] = [
      [{ bus: {} }, "bus"],
      [{ store: undefined }, "store"],
      [{ directory: {} }, "directory"],
      [{ maxTtlMs: 0 }, "maxTtlMs"],
      [{ deliveryTimeoutMs: -1 }, "deliveryTimeoutMs"],
      [{ maxQueuedPerAgent: 1.5 }, "maxQueuedPerAgent"],
      [{ nodeId: "a.b" }, "nodeId"],
      [{ isAuthority: true }, "isAuthority"],
    ];
    for (const [opts, field] of bad) {
      assert.throws(
        () => new CommandRouter({ ...base, ...opts } as never),
        (e) => isSwarmError(e, "E_CONFIG") && e.context.field === field,
        field,
      );
    }
    assert.throws(
      () => new CommandClient({ bus, issuer: "a b" }),
      (e) => isSwarmError(e, "E_CONFIG") && e.context.field === "issuer",
    );
    assert.throws(
      () => new CommandClient({ bus, watchPollMs: 0 }),
      (e) => isSwarmError(e, "E_CONFIG") && e.context.field === "watchPollMs",
    );
    void bus.close();
    void store.close();
  });

  it("carry codes and context across the wire, unknown codes as E_INTERNAL", () => {
    const payload = toErrorPayload(new SwarmError("E_OVERFLOW", "full", { agentId: "r1", n: 3 }));
    const back = fromErrorPayload({
      code: payload.code ?? "",
      message: payload.message ?? "",
      context: payload.context ?? {},
    });
    assert.equal(back.code, "E_OVERFLOW");
    assert.deepEqual(back.context, { agentId: "r1", n: "3" });
    const odd = fromErrorPayload({ code: "PICK_JAMMED", message: "", context: {} });
    assert.equal(odd.code, "E_INTERNAL");
    assert.equal(odd.context.remoteCode, "PICK_JAMMED");
  });
});
