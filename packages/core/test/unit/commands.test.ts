import assert from "node:assert/strict";
import { CommandStatus, isSwarmError, kvKeys, STREAMS } from "@swarmlink/protocol";
import { commandIdFor } from "../../src/commands/ids.js";
import { eventually, ok, replyOf, S, settle, World } from "./command-helpers.js";

const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe("commands to an online agent", () => {
  let w: World;
  beforeEach(() => {
    w = new World();
  });
  afterEach(() => w.close());

  it("come back REPLIED with the agent's reply, within the deadline", async () => {
    const router = await w.router();
    const agent = w.agent("amr-07", { dock: ok });
    const r = await w.client.send("amr-07", "dock", { station: 3 }, { timeoutMs: 2000 });
    assert.equal(r.state, S.COMMAND_RECEIPT_STATE_REPLIED);
    assert.equal(replyOf(r).status, CommandStatus.COMMAND_STATUS_OK);
    assert.deepEqual(JSON.parse(text(replyOf(r).result)), { ok: "dock" });
    assert.deepEqual(JSON.parse(text(agent.received[0]!.args)), { station: 3 });
    assert.ok(agent.received[0]!.deadlineMs > w.clock.now(), "the agent sees the deadline");
    assert.equal(agent.received[0]!.issuer, "tester");
    const s = router.stats();
    assert.deepEqual([s.sent, s.delivered, s.replied, s.queued], [1, 1, 1, 0]);
    assert.equal((await w.client.get(r.commandId)).state, S.COMMAND_RECEIPT_STATE_REPLIED);
  });

  it("pass UNKNOWN_COMMAND (and the agent's other statuses) through", async () => {
    await w.router();
    w.agent("amr-07", { busy: () => ({ status: CommandStatus.COMMAND_STATUS_REJECTED }) });
    const unknown = await w.client.send("amr-07", "self-destruct");
    assert.equal(unknown.state, S.COMMAND_RECEIPT_STATE_REPLIED);
    assert.equal(replyOf(unknown).status, CommandStatus.COMMAND_STATUS_UNKNOWN_COMMAND);
    const busy = await w.client.send("amr-07", "busy");
    assert.equal(replyOf(busy).status, CommandStatus.COMMAND_STATUS_REJECTED);
  });

  it("expire at the deadline when the agent never answers, after answering DELIVERED when the caller's wait ends", async () => {
    const router = await w.router();
    w.agent("amr-07", { hang: () => "silent" });
    const sent = w.client.send("amr-07", "hang", undefined, { timeoutMs: 1000, ttlMs: 10_000 });
    await eventually(() => router.stats().inFlight === 1, "request in flight");
    w.clock.advance(950); // the router answers 10% before the caller's 1000 ms run out
    const r = await sent;
    assert.equal(r.state, S.COMMAND_RECEIPT_STATE_DELIVERED);
    w.clock.advance(9050);
    await eventually(
      async () => (await w.client.get(r.commandId)).state === S.COMMAND_RECEIPT_STATE_EXPIRED,
      "expired",
    );
    const final = await w.client.get(r.commandId);
    assert.equal(replyOf(final).status, CommandStatus.COMMAND_STATUS_TIMEOUT);
    assert.equal(replyOf(final).code, "E_TIMEOUT");
    assert.equal(replyOf(final).context.reason, "deadline");
    assert.equal(router.stats().expired, 1);
  });

  it("are queued when the directory says online but nobody serves the agent's subjects", async () => {
    await w.router();
    w.directory.set("ghost", "online");
    const r = await w.client.send("ghost", "dock", undefined, { ttlMs: 60_000 });
    assert.equal(r.state, S.COMMAND_RECEIPT_STATE_QUEUED);
    assert.ok(await w.store.get(kvKeys.commandQueue("ghost")));
  });
});

describe("commands to an offline agent", () => {
  let w: World;
  beforeEach(() => {
    w = new World();
  });
  afterEach(() => w.close());

  it("wait QUEUED, then are delivered on reconnect in send order and settle REPLIED", async () => {
    const router = await w.router();
    const agent = w.agent("amr-07", { a: ok, b: ok, c: ok }, false);
    const receipts = [];
    for (const name of ["a", "b", "c"])
      receipts.push(await w.client.send("amr-07", name, undefined, { ttlMs: 60_000 }));
    assert.deepEqual(
      receipts.map((r) => r.state),
      [S.COMMAND_RECEIPT_STATE_QUEUED, S.COMMAND_RECEIPT_STATE_QUEUED, S.COMMAND_RECEIPT_STATE_QUEUED],
    );
    assert.equal(agent.received.length, 0);
    w.online(agent);
    await eventually(() => router.stats().replied === 3, "three replies");
    assert.deepEqual(agent.names, ["a", "b", "c"]);
    for (const r of receipts) {
      const now = await w.client.get(r.commandId);
      assert.equal(now.state, S.COMMAND_RECEIPT_STATE_REPLIED);
      assert.deepEqual(JSON.parse(text(replyOf(now).result)), { ok: r.name });
    }
    await eventually(() => router.stats().draining === 0, "drain over");
    assert.equal(await w.store.get(kvKeys.commandQueue("amr-07")), undefined, "index removed once empty");
    assert.equal(
      (await w.bus.streams.info(STREAMS.commands.name)).messages,
      0,
      "acked commands left the stream",
    );
    await assert.rejects(w.bus.streams.deleteConsumer(STREAMS.commands.name, "cmdq-amr-07"), (e) =>
      isSwarmError(e, "E_NOT_FOUND"),
    );
  });

  it("expire at their TTL and are never delivered", async () => {
    const router = await w.router();
    const agent = w.agent("amr-07", { dock: ok }, false);
    const r = await w.client.send("amr-07", "dock", undefined, { ttlMs: 5000 });
    w.clock.advance(4999);
    await settle();
    assert.equal((await w.client.get(r.commandId)).state, S.COMMAND_RECEIPT_STATE_QUEUED);
    w.clock.advance(1);
    await eventually(() => router.stats().expired === 1, "swept");
    const expired = await w.client.get(r.commandId);
    assert.equal(expired.state, S.COMMAND_RECEIPT_STATE_EXPIRED);
    assert.equal(replyOf(expired).context.reason, "deadline");
    await eventually(
      async () => (await w.store.get(kvKeys.commandQueue("amr-07"))) === undefined,
      "index emptied",
    );
    w.online(agent);
    const later = await w.client.send("amr-07", "dock", undefined, { ttlMs: 5000 });
    assert.equal(later.state, S.COMMAND_RECEIPT_STATE_REPLIED);
    await eventually(() => router.stats().draining === 0, "drain over");
    assert.deepEqual(
      agent.received.map((c) => c.id),
      [later.commandId],
      "only the live command reached the agent",
    );
  });

  it("conflate: the newest queued command per name supersedes the older ones", async () => {
    const router = await w.router();
    const agent = w.agent("amr-07", { speed: ok, dock: ok }, false);
    const opts = { ttlMs: 60_000, conflate: true };
    const s1 = await w.client.send("amr-07", "speed", { v: 1 }, opts);
    const d1 = await w.client.send("amr-07", "dock", undefined, { ttlMs: 60_000 });
    const s2 = await w.client.send("amr-07", "speed", { v: 2 }, opts);
    const s3 = await w.client.send("amr-07", "speed", { v: 3 }, opts);
    assert.equal(router.stats().conflated, 2);
    for (const old of [s1, s2]) {
      const r = await w.client.get(old.commandId);
      assert.equal(r.state, S.COMMAND_RECEIPT_STATE_EXPIRED);
      assert.equal(replyOf(r).context.reason, "conflated");
      assert.equal(replyOf(r).context.supersededBy, old === s1 ? s2.commandId : s3.commandId);
    }
    w.online(agent);
    await eventually(() => router.stats().replied === 2, "two replies");
    await eventually(() => router.stats().draining === 0, "drain over");
    assert.deepEqual(agent.names, ["dock", "speed"]);
    assert.deepEqual(JSON.parse(text(agent.received[1]!.args)), { v: 3 });
    assert.equal((await w.client.get(d1.commandId)).state, S.COMMAND_RECEIPT_STATE_REPLIED);
    assert.equal((await w.bus.streams.info(STREAMS.commands.name)).messages, 0, "superseded ones acked too");
  });

  it("reach an agent the directory calls online before it serves its subjects, once it does", async () => {
    const router = await w.router();
    const agent = w.agent("amr-07", { dock: ok }, false);
    w.directory.set("amr-07", "online"); // registered, not yet subscribed
    const r = await w.client.send("amr-07", "dock", undefined, { ttlMs: 60_000 });
    assert.equal(r.state, S.COMMAND_RECEIPT_STATE_QUEUED);
    await eventually(() => router.stats().draining === 0, "a first drain that found nobody");
    agent.connect();
    w.clock.advance(1000); // the drain is tried again
    await eventually(() => router.stats().replied === 1, "delivered on the retry");
    assert.deepEqual(agent.names, ["dock"]);
  });

  it("join the queue behind earlier ones even once the agent is online, so order holds", async () => {
    const router = await w.router({ isAuthority: () => false });
    const agent = w.agent("amr-07", { a: ok, b: ok }, false);
    await w.client.send("amr-07", "a", undefined, { ttlMs: 60_000 });
    w.online(agent); // nobody drains: this router is not the authority
    const b = await w.client.send("amr-07", "b", undefined, { ttlMs: 60_000 });
    assert.equal(b.state, S.COMMAND_RECEIPT_STATE_QUEUED);
    assert.equal(agent.received.length, 0);
    assert.equal(router.stats().authority, false);
  });
});

describe("idempotency keys", () => {
  let w: World;
  beforeEach(() => {
    w = new World();
  });
  afterEach(() => w.close());

  it("make one delivery and one receipt of repeated sends", async () => {
    const router = await w.router();
    const agent = w.agent("amr-07", { dock: ok });
    const first = await w.client.send("amr-07", "dock", undefined, { idempotencyKey: "order-1" });
    const again = await w.client.send("amr-07", "dock", undefined, { idempotencyKey: "order-1" });
    assert.equal(first.commandId, await commandIdFor("amr-07", "order-1"));
    assert.equal(again.commandId, first.commandId);
    assert.equal(again.state, S.COMMAND_RECEIPT_STATE_REPLIED);
    assert.deepEqual(replyOf(again).result, replyOf(first).result);
    assert.equal(agent.received.length, 1);
    assert.equal(router.stats().duplicates, 1);
  });

  it("keep a queued command to one delivery too", async () => {
    const router = await w.router();
    const agent = w.agent("amr-07", { dock: ok }, false);
    const opts = { ttlMs: 60_000, idempotencyKey: "order-2" };
    const first = await w.client.send("amr-07", "dock", undefined, opts);
    const again = await w.client.send("amr-07", "dock", undefined, opts);
    assert.equal(again.state, S.COMMAND_RECEIPT_STATE_QUEUED);
    assert.equal((await w.bus.streams.info(STREAMS.commands.name)).messages, 1);
    w.online(agent);
    await eventually(() => router.stats().replied === 1, "replied");
    await eventually(() => router.stats().draining === 0, "drain over");
    assert.deepEqual(
      agent.received.map((c) => c.id),
      [first.commandId],
    );
  });

  it("refuse a key reused for another command with E_CONFLICT", async () => {
    await w.router();
    w.agent("amr-07", { dock: ok, undock: ok });
    await w.client.send("amr-07", "dock", undefined, { idempotencyKey: "k" });
    await assert.rejects(w.client.send("amr-07", "undock", undefined, { idempotencyKey: "k" }), (e) =>
      isSwarmError(e, "E_CONFLICT"),
    );
  });
});
