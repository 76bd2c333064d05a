import assert from "node:assert/strict";
import { isSwarmError, subjects } from "@swarmlink/protocol";
import { answerOffers, runAuction, runBatchAuction } from "../../src/dispatcher/auction/mod.js";
import { settle, task, World } from "./auction-helpers.js";

/** Costs where one-task auctions in order (t1 then t2) give t2 the far agent. */
const COSTS: Record<string, Record<string, number>> = {
  a: { t1: 1, t2: 2 },
  b: { t1: 2, t2: 100 },
};

describe("runBatchAuction", () => {
  let w: World;
  beforeEach(() => {
    w = new World();
    for (const agent of Object.keys(COSTS)) {
      answerOffers(w.bus, agent, (t) => COSTS[agent]![t.id], { clock: w.clock });
    }
  });
  afterEach(() => w.close());

  const base = () => ({ bus: w.bus, coordinatorId: "node-1", clock: w.clock, candidates: ["a", "b"] });

  it("allocates the whole batch over the bids, where one-task auctions in a row would not", async () => {
    const first = await runAuction({ ...base(), task: task("t1") });
    const second = await runAuction({ ...base(), task: task("t2"), candidates: ["b"] }); // a is taken
    assert.equal(first.cost! + second.cost!, 101);

    const { awards, auctions } = await runBatchAuction({ ...base(), tasks: [task("t1"), task("t2")] });
    assert.deepEqual(Object.fromEntries(awards), {
      t1: { agentId: "b", cost: 2 },
      t2: { agentId: "a", cost: 2 },
    });
    assert.equal(auctions.get("t1")!.bids.length, 2);
    assert.equal(auctions.get("t2")!.closedBy, "all-bid");
  });

  it("gives an agent as many tasks as its credits, and honours per-task candidates", async () => {
    const both = await runBatchAuction({ ...base(), tasks: [task("t1"), task("t2")], credits: () => 2 });
    assert.deepEqual(Object.fromEntries([...both.awards].map(([t, x]) => [t, x.agentId])), {
      t1: "a",
      t2: "a",
    });
    const onlyB = await runBatchAuction({
      ...base(),
      tasks: [task("t1"), task("t2")],
      candidates: (t) => (t.id === "t1" ? ["b"] : ["a", "b"]),
    });
    assert.deepEqual(Object.fromEntries([...onlyB.awards].map(([t, x]) => [t, x.agentId])), {
      t1: "b",
      t2: "a",
    });
  });

  it("leaves out a task nobody bid for", async () => {
    const done = runBatchAuction({ ...base(), tasks: [task("t1"), task("nobody")] });
    await settle();
    w.clock.advance(200);
    const { awards, auctions } = await done;
    assert.deepEqual([...awards.keys()], ["t1"]);
    assert.equal(auctions.get("nobody")!.bids.length, 0);
  });

  it("aborts every auction of the batch and releases their bid subscriptions", async () => {
    const ac = new AbortController();
    const done = runBatchAuction({
      ...base(),
      candidates: ["a", "b", "silent"],
      tasks: [task("t1"), task("t2")],
      signal: ac.signal,
    });
    await settle();
    ac.abort();
    await assert.rejects(done, (err) => isSwarmError(err, "E_ABORTED"));
    assert.equal(w.clock.pending, 0);
    for (const id of ["t1", "t2"]) {
      await assert.rejects(w.bus.request(subjects.taskBid(id), new Uint8Array(0)), (err) =>
        isSwarmError(err, "E_NO_RESPONDERS"),
      );
    }
  });

  it("refuses tasks with the same id", async () => {
    await assert.rejects(runBatchAuction({ ...base(), tasks: [task("t1"), task("t1")] }), (err) =>
      isSwarmError(err, "E_CONFIG"),
    );
  });
});
