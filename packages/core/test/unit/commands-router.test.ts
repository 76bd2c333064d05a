import assert from "node:assert/strict";
import {
  type CommandReceipt,
  CommandStatus,
  encodeEnvelope,
  encodePayload,
  isSwarmError,
  kvKeys,
  STREAMS,
  subjects,
  ulid,
  wrap,
} from "@swarmlink/protocol";
import { commandIdFor } from "../../src/commands/ids.js";
import { decodeAnswer } from "../../src/commands/wire.js";
import { eventually, ok, replyOf, S, settle, World } from "./command-helpers.js";

describe("a receipt watcher", () => {
  let w: World;
  beforeEach(() => {
    w = new World();
  });
  afterEach(() => w.close());

  it("sees queued → delivered → replied, then the watch ends", async () => {
    const router = await w.router();
    let release!: () => void;
    const released = new Promise<void>((r) => {
      release = r;
    });
    const agent = w.agent(
      "amr-07",
      { dock: () => released.then(() => ({ status: CommandStatus.COMMAND_STATUS_OK })) },
      false,
    );
    const r = await w.client.send("amr-07", "dock", undefined, { ttlMs: 60_000 });
    const seen: CommandReceipt[] = [];
    const watching = (async () => {
      for await (const step of w.client.watch(r.commandId)) seen.push(step);
    })();
    await eventually(() => seen.length === 1, "the current receipt first");
    w.online(agent);
    await eventually(() => seen.length === 2, "delivered");
    release();
    await watching;
    assert.deepEqual(
      seen.map((x) => x.state),
      [S.COMMAND_RECEIPT_STATE_QUEUED, S.COMMAND_RECEIPT_STATE_DELIVERED, S.COMMAND_RECEIPT_STATE_REPLIED],
    );
    assert.equal(replyOf(seen[2]!).status, CommandStatus.COMMAND_STATUS_OK);
    assert.equal(router.stats().replied, 1);
  });

  it("catches up by reading the receipt again when it misses a change", async () => {
    await w.router();
    const agent = w.agent("amr-07", { dock: ok }, false);
    const r = await w.client.send("amr-07", "dock", undefined, { ttlMs: 60_000 });
    const seen: CommandReceipt[] = [];
    const watching = (async () => {
      for await (const step of w.client.watch(r.commandId)) seen.push(step);
    })();
    await eventually(() => seen.length === 1, "the current receipt first");
    // Settle it behind the watcher's back: a Store write with no change message.
    const settled = { ...seen[0]!, state: S.COMMAND_RECEIPT_STATE_REPLIED };
    const entry = await w.store.get(kvKeys.command(r.commandId));
    await w.store.update(
      kvKeys.command(r.commandId),
      encodePayload("swarmlink.v1.CommandReceipt", settled),
      entry!.revision,
    );
    w.clock.advance(2000); // one poll
    await watching;
    assert.equal(seen.at(-1)!.state, S.COMMAND_RECEIPT_STATE_REPLIED);
    assert.equal(agent.received.length, 0);
  });

  it("fails with E_NOT_FOUND for a command the swarm does not know, and with E_ABORTED on abort", async () => {
    await w.router();
    await assert.rejects(
      (async () => {
        for await (const _ of w.client.watch(ulid())) assert.fail("nothing to see");
      })(),
      (e) => isSwarmError(e, "E_NOT_FOUND"),
    );
    w.agent("amr-07", {}, false);
    const r = await w.client.send("amr-07", "dock", undefined, { ttlMs: 60_000 });
    const ctl = new AbortController();
    const watching = (async () => {
      for await (const _ of w.client.watch(r.commandId, { signal: ctl.signal })) ctl.abort();
    })();
    await assert.rejects(watching, (e) => isSwarmError(e, "E_ABORTED"));
  });
});

describe("a command router facing bad input", () => {
  let w: World;
  beforeEach(() => {
    w = new World();
  });
  afterEach(() => w.close());

  const command = (w: World, fields: Record<string, unknown>) =>
    encodeEnvelope(
      wrap(
        "swarmlink.v1.Command",
        { agentId: "amr-07", name: "dock", deadlineMs: w.clock.now() + 5000, ...fields },
        { source: "tester" },
      ),
    );

  it("answers each with a typed error, counts it, and keeps serving", async () => {
    const router = await w.router({ maxTtlMs: 60_000 });
    w.agent("amr-07", { dock: ok });
    const cases: [string, Uint8Array, string, string?][] = [
      ["garbage", new Uint8Array([1, 2, 3, 255]), "E_DECODE"],
      [
        "another type",
        encodeEnvelope(wrap("swarmlink.v1.Heartbeat", { agentId: "a" }, { source: "x" })),
        "E_INVALID",
      ],
      ["bad agent id", command(w, { agentId: "amr.07" }), "E_INVALID", "agentId"],
      ["bad name", command(w, { name: "*" }), "E_INVALID", "name"],
      ["not a ULID", command(w, { id: "cmd-1" }), "E_INVALID", "id"],
      ["key and id disagree", command(w, { id: ulid(), idempotencyKey: "k" }), "E_INVALID", "id"],
      ["past deadline", command(w, { deadlineMs: w.clock.now() - 1 }), "E_INVALID", "deadlineMs"],
      ["negative deadline", command(w, { deadlineMs: -5 }), "E_INVALID", "deadlineMs"],
      ["beyond maxTtlMs", command(w, { deadlineMs: w.clock.now() + 60_001 }), "E_INVALID", "deadlineMs"],
    ];
    for (const [what, data, code, field] of cases) {
      const answer = await w.bus.request(subjects.commandSend(), data);
      assert.throws(
        () => decodeAnswer(answer.data, "swarmlink.v1.CommandReceipt"),
        (e) => isSwarmError(e, code as "E_INVALID") && (field === undefined || e.context.field === field),
        what,
      );
    }
    assert.equal(router.stats().badInputs, cases.length);
    assert.equal(router.stats().sent, 0);
    const r = await w.client.send("amr-07", "dock");
    assert.equal(r.state, S.COMMAND_RECEIPT_STATE_REPLIED);
  });

  it("refuses a negative TTL in the client before anything is sent", async () => {
    const router = await w.router();
    await assert.rejects(w.client.send("amr-07", "dock", undefined, { ttlMs: -1 }), (e) =>
      isSwarmError(e, "E_INVALID"),
    );
    await assert.rejects(w.client.send("amr-07", "dock", 10n), (e) => isSwarmError(e, "E_INVALID"));
    assert.equal(router.stats().sent, 0);
  });

  it("turns an unreadable agent reply into an ERROR reply", async () => {
    const router = await w.router();
    w.directory.set("amr-07", "online");
    const sub = w.bus.subscribe(subjects.agentCommand("amr-07", "dock"), {
      callback: (_e, m) => m.respond(new Uint8Array([9, 9, 9])),
    });
    const r = await w.client.send("amr-07", "dock");
    sub.unsubscribe();
    assert.equal(r.state, S.COMMAND_RECEIPT_STATE_REPLIED);
    assert.equal(replyOf(r).status, CommandStatus.COMMAND_STATUS_ERROR);
    assert.equal(replyOf(r).code, "E_DECODE");
    assert.equal(router.stats().badInputs, 1);
  });

  it("refuses a command past maxQueuedPerAgent with E_OVERFLOW, leaving no receipt behind", async () => {
    await w.router({ maxQueuedPerAgent: 2 });
    for (const n of ["a", "b"]) await w.client.send("off-1", n, undefined, { ttlMs: 60_000 });
    const refused = w.client.send("off-1", "c", undefined, { ttlMs: 60_000, idempotencyKey: "c" });
    await assert.rejects(refused, (e) => isSwarmError(e, "E_OVERFLOW"));
    assert.equal(await w.store.get(kvKeys.command(await commandIdFor("off-1", "c"))), undefined);
  });

  it("refuses a request past maxInFlight with E_OVERFLOW", async () => {
    const router = await w.router({ maxInFlight: 1 });
    w.agent("amr-07", { hang: () => "silent" });
    const hanging = w.client.send("amr-07", "hang", undefined, { timeoutMs: 1000 });
    await eventually(() => router.stats().inFlight === 1, "one in flight");
    await assert.rejects(w.client.send("amr-07", "hang"), (e) => isSwarmError(e, "E_OVERFLOW"));
    assert.equal(router.stats().overflows, 1);
    w.clock.advance(950);
    assert.equal((await hanging).state, S.COMMAND_RECEIPT_STATE_DELIVERED);
    w.clock.advance(50);
    await eventually(() => router.stats().expired === 1, "expired at the deadline");
  });
});

describe("the leader's duties", () => {
  let w: World;
  beforeEach(() => {
    w = new World();
  });
  afterEach(() => w.close());

  it("pass to the router that becomes the authority, which drains what waits", async () => {
    const lead = { a: false, b: false };
    const ra = await w.router({ isAuthority: () => lead.a, nodeId: "node-a" });
    const rb = await w.router({ isAuthority: () => lead.b, nodeId: "node-b" });
    const agent = w.agent("amr-07", { dock: ok }, false);
    await w.client.send("amr-07", "dock", undefined, { ttlMs: 60_000 });
    w.online(agent);
    await settle();
    assert.equal(agent.received.length, 0, "no authority, no drain");
    lead.b = true;
    w.clock.advance(500);
    await eventually(() => rb.stats().replied === 1, "node-b drained");
    assert.equal(ra.stats().authority, false);
    assert.equal(rb.stats().authority, true);
    lead.b = false;
    w.clock.advance(500);
    await eventually(() => rb.stats().authority === false, "node-b stepped down");
  });

  it("take over a drain that died half-way: its command comes again (at least once)", async () => {
    const router = await w.router({ isAuthority: () => false });
    const agent = w.agent("amr-07", { dock: ok }, false);
    const r = await w.client.send("amr-07", "dock", undefined, { ttlMs: 60_000 });
    // A leader took the message, marked it DELIVERED and died before the ack.
    const dead = await w.bus.streams.consumer(STREAMS.commands.name, {
      name: "cmdq-amr-07",
      filterSubject: subjects.commandQueue("amr-07"),
    });
    assert.equal((await dead.fetch({ batch: 1 })).length, 1);
    const entry = await w.store.get(kvKeys.command(r.commandId));
    const delivered = { ...r, state: S.COMMAND_RECEIPT_STATE_DELIVERED };
    await w.store.update(
      kvKeys.command(r.commandId),
      encodePayload("swarmlink.v1.CommandReceipt", delivered),
      entry!.revision,
    );
    await router.stop();
    const next = await w.router({ nodeId: "node-b" });
    w.online(agent);
    await eventually(() => next.stats().replied === 1, "redelivered and replied");
    assert.deepEqual(
      agent.received.map((c) => c.id),
      [r.commandId],
    );
    await eventually(() => next.stats().draining === 0, "drain over");
    assert.equal((await w.bus.streams.info(STREAMS.commands.name)).messages, 0);
  });

  it("stop() aborts a delivery in flight and the caller hears E_UNAVAILABLE", async () => {
    const router = await w.router();
    w.agent("amr-07", { hang: () => "silent" });
    const sent = w.client.send("amr-07", "hang", undefined, { timeoutMs: 5000 });
    await eventually(() => router.stats().inFlight === 1, "in flight");
    await router.stop();
    await assert.rejects(sent, (e) => isSwarmError(e, "E_UNAVAILABLE"));
  });
});
