import assert from "node:assert/strict";
import { encodeEnvelope, isSwarmError, subjects, wrap } from "@swarmlink/protocol";
import fc from "fast-check";
import { answerOffers, runAuction } from "../../src/dispatcher/auction/mod.js";
import { bidBytes, settle, T0, task, World } from "./auction-helpers.js";

describe("runAuction", () => {
  let w: World;
  beforeEach(() => {
    w = new World();
  });
  afterEach(() => w.close());

  const start = (candidates: string[], extra: { windowMs?: number; round?: number; maxBids?: number } = {}) =>
    runAuction({ bus: w.bus, task: task(), candidates, coordinatorId: "node-1", clock: w.clock, ...extra });

  it("sends each candidate one offer naming the task, round, deadline, coordinator and bid subject", async () => {
    w.listen("a", "b", "outsider");
    const done = start(["a", "b", "a"], { windowMs: 300, round: 3 });
    await settle();
    for (const id of ["a", "b"]) {
      const offers = w.offers.get(id)!;
      assert.equal(offers.length, 1, `offers to ${id}`);
      const { envelope, offer, task: t } = offers[0]!;
      assert.equal(t.id, "task-1");
      assert.equal(offer.round, 3);
      assert.equal(offer.bidDeadlineMs, T0 + 300);
      assert.equal(offer.coordinatorId, "node-1");
      assert.equal(envelope.source, "node-1");
      assert.equal(envelope.replyTo, subjects.taskBid("task-1"));
      assert.equal(envelope.ttlMs, 300);
    }
    assert.equal(w.offers.get("outsider")!.length, 0);
    w.clock.advance(300);
    assert.equal((await done).winner, undefined);
  });

  it("awards the lowest bid and closes early once every candidate has bid", async () => {
    const costs: Record<string, number> = { a: 5, b: 3, c: 7 };
    for (const id of Object.keys(costs)) answerOffers(w.bus, id, () => costs[id], { clock: w.clock });
    const r = await start(["a", "b", "c"]);
    assert.equal(r.winner, "b");
    assert.equal(r.cost, 3);
    assert.deepEqual(
      r.bids.map((b) => b.agentId),
      ["b", "a", "c"],
    );
    assert.equal(r.closedBy, "all-bid");
    assert.equal(r.durationMs, 0, "no simulated time passed");
    assert.equal(w.clock.pending, 0, "the window timer is cleared");
  });

  it("breaks a tie in favour of the lower agent id, whatever the arrival order", async () => {
    const done = start(["c", "b", "a"]);
    w.bid("task-1", "c", 4);
    w.bid("task-1", "b", 4);
    w.bid("task-1", "a", 4);
    const r = await done;
    assert.equal(r.winner, "a");
    assert.deepEqual(
      r.bids.map((b) => b.agentId),
      ["a", "b", "c"],
    );
  });

  it("ignores and counts uninvited, other-task, wrong-round, negative, NaN, infinite and repeated bids", async () => {
    const done = start(["a", "b"], { round: 2 });
    w.bid("task-1", "x", 0, 2); // uninvited
    w.bus.publish(subjects.taskBid("task-1"), bidBytes("task-2", "a", 0, 2)); // another task
    w.bid("task-1", "a", 0, 1); // an old round
    w.bid("task-1", "a", -1, 2);
    w.bid("task-1", "a", Number.NaN, 2);
    w.bid("task-1", "a", Number.POSITIVE_INFINITY, 2);
    w.bid("task-1", "a", 10, 2); // the one that counts
    w.bid("task-1", "a", 1, 2); // too late to change its mind
    await settle();
    w.clock.advance(200);
    const r = await done;
    assert.equal(r.winner, "a");
    assert.equal(r.cost, 10);
    assert.equal(r.bids.length, 1);
    assert.equal(r.invalid, 7);
    assert.deepEqual(r.rejected, { malformed: 0, task: 1, uninvited: 1, round: 1, cost: 3, duplicate: 1 });
    assert.equal(r.late, 0);
    assert.equal(r.closedBy, "window");
  });

  it("counts malformed bytes on the bid subject and keeps going", async () => {
    const done = start(["a"], { windowMs: 100 });
    const subject = subjects.taskBid("task-1");
    w.bus.publish(subject, new Uint8Array([0xff, 0x01, 0x02]));
    w.bus.publish(subject, new Uint8Array(0));
    w.bus.publish(
      subject,
      encodeEnvelope(wrap("swarmlink.v1.TaskCancel", { taskId: "task-1", reason: "no" }, { source: "a" })),
    );
    w.bus.publish(subject, new Uint8Array(5000)); // over maxBidBytes
    w.bid("task-1", "a", 2);
    const r = await done;
    assert.equal(r.winner, "a");
    assert.equal(r.rejected.malformed, 4);
    assert.equal(r.invalid, 4);
  });

  it("never throws on arbitrary bytes: every message is counted as invalid", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }), async (frames) => {
        const done = start(["a"], { windowMs: 50 });
        for (const f of frames) w.bus.publish(subjects.taskBid("task-1"), f);
        await settle();
        w.clock.advance(50);
        const r = await done;
        assert.equal(r.winner, undefined);
        assert.equal(r.invalid + r.late, frames.length);
      }),
      { numRuns: 60 },
    );
  });

  it("counts bids that arrive after the window closed as late, and ignores them", async () => {
    const done = start(["a", "b"]);
    w.bid("task-1", "b", 9);
    await settle();
    w.bid("task-1", "a", 1); // queued when the window closes
    w.clock.advance(200);
    const r = await done;
    assert.equal(r.winner, "b");
    assert.equal(r.late, 1);
    assert.equal(r.closedBy, "window");
    await assert.rejects(w.bus.request(subjects.taskBid("task-1"), new Uint8Array(0)), (err) =>
      isSwarmError(err, "E_NO_RESPONDERS"),
    );
  });

  it("ends with no winner when nobody bids, and at once when there is nobody to ask", async () => {
    const none = start(["a", "b"]);
    w.clock.advance(200);
    const r = await none;
    assert.equal(r.winner, undefined);
    assert.equal(r.cost, undefined);
    assert.deepEqual(r.bids, []);
    assert.equal(r.durationMs, 200);
    w.listen("a");
    const empty = await start([]);
    assert.equal(empty.closedBy, "no-candidates");
    assert.equal(empty.winner, undefined);
    await settle();
    assert.equal(w.offers.get("a")!.length, 0);
  });

  it("holds at most maxBids bids, keeping the cheapest", async () => {
    const done = start(["a", "b", "c", "d", "e"], { maxBids: 2 });
    for (const [id, cost] of [
      ["a", 5],
      ["b", 1],
      ["c", 4],
      ["d", 2],
      ["e", 3],
    ] as const) {
      w.bid("task-1", id, cost);
    }
    const r = await done;
    assert.equal(r.closedBy, "all-bid", "dropped bids still count as answers");
    assert.deepEqual(
      r.bids.map((b) => [b.agentId, b.cost]),
      [
        ["b", 1],
        ["d", 2],
      ],
    );
    assert.equal(r.dropped, 3);
    assert.equal(r.winner, "b");
  });

  it("rejects with E_ABORTED and releases the bid subscription and the timer when aborted", async () => {
    const ac = new AbortController();
    const done = runAuction({
      bus: w.bus,
      task: task(),
      candidates: ["a"],
      coordinatorId: "node-1",
      clock: w.clock,
      signal: ac.signal,
    });
    await settle();
    ac.abort();
    await assert.rejects(done, (err) => isSwarmError(err, "E_ABORTED"));
    assert.equal(w.clock.pending, 0);
    await assert.rejects(w.bus.request(subjects.taskBid("task-1"), new Uint8Array(0)), (err) =>
      isSwarmError(err, "E_NO_RESPONDERS"),
    );
  });

  it("sends nothing when the signal has already fired", async () => {
    w.listen("a");
    await assert.rejects(
      runAuction({
        bus: w.bus,
        task: task(),
        candidates: ["a"],
        coordinatorId: "n",
        clock: w.clock,
        signal: AbortSignal.abort(),
      }),
      (err) => isSwarmError(err, "E_ABORTED"),
    );
    await settle();
    assert.equal(w.offers.get("a")!.length, 0);
  });

  it("rejects with E_CLOSED when the bus closes mid-auction", async () => {
    const done = start(["a"]);
    await w.bus.close();
    await assert.rejects(done, (err) => isSwarmError(err, "E_CLOSED"));
    assert.equal(w.clock.pending, 0);
  });

  it("refuses bad options with E_CONFIG naming the field", async () => {
    const bad: [Record<string, unknown>, string][] = [
      [{ windowMs: 0 }, "windowMs"],
      [{ windowMs: Number.NaN }, "windowMs"],
      [{ windowMs: 120_000 }, "windowMs"],
      [{ round: 0 }, "round"],
      [{ maxBids: 0 }, "maxBids"],
      [{ candidates: ["ok", "not.ok"] }, "candidates"],
      [{ coordinatorId: "" }, "coordinatorId"],
      [{ task: { id: "a*b" } }, "task.id"],
    ];
    for (const [patch, field] of bad) {
      const opts = {
        bus: w.bus,
        task: task(),
        candidates: ["a"],
        coordinatorId: "n",
        clock: w.clock,
        ...patch,
      };
      await assert.rejects(runAuction(opts as Parameters<typeof runAuction>[0]), (err) => {
        return isSwarmError(err, "E_CONFIG") && err.context.field === field;
      });
    }
    assert.equal(w.clock.pending, 0);
  });
});

describe("answerOffers", () => {
  it("bids with its price, stays out when the price is undefined, and skips offers past their deadline", async () => {
    const w = new World();
    try {
      answerOffers(w.bus, "a", () => 3, { clock: w.clock });
      answerOffers(w.bus, "b", () => undefined, { clock: w.clock });
      const first = runAuction({
        bus: w.bus,
        task: task(),
        candidates: ["a", "b"],
        coordinatorId: "n",
        clock: w.clock,
      });
      await settle();
      w.clock.advance(200);
      const r = await first;
      assert.deepEqual(
        r.bids.map((b) => [b.agentId, b.cost]),
        [["a", 3]],
      );
      // An offer whose deadline has passed by the time it is read gets no bid.
      const late = runAuction({
        bus: w.bus,
        task: task("t2"),
        candidates: ["a"],
        coordinatorId: "n",
        clock: w.clock,
      });
      w.clock.advance(200);
      const r2 = await late;
      assert.equal(r2.winner, undefined);
      assert.equal(r2.late, 0, "the agent did not bid at all");
    } finally {
      await w.close();
    }
  });
});
