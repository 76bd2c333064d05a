import assert from "node:assert/strict";
import { answerOffers } from "../../src/dispatcher/auction/mod.js";
import type { AuctionRequest, RunAuction } from "../../src/dispatcher/mod.js";
import type { TaskClient } from "../../src/tasks/mod.js";
import { runUntil, SimSwarm } from "./dispatcher-helpers.js";

/** An auction that answers with the bids it is given, at once, and remembers what it was asked. */
function fakeAuction(bids: (req: AuctionRequest) => { agentId: string; cost: number }[]) {
  const calls: AuctionRequest[] = [];
  const run: RunAuction = async (req) => {
    calls.push(req);
    const got = bids(req)
      .filter((b) => req.candidates.includes(b.agentId))
      .sort((p, q) => p.cost - q.cost);
    return { winner: got[0]?.agentId, cost: got[0]?.cost, bids: got };
  };
  return { run, calls };
}

describe("Dispatcher, auction strategy", () => {
  let swarm: SimSwarm;
  let client: TaskClient;
  beforeEach(() => {
    swarm = new SimSwarm();
    client = swarm.client;
  });
  afterEach(() => swarm.close());

  const record = (id: string) => swarm.record(id);

  it("offers to capable agents with a free credit and awards the cheapest bidder", async () => {
    const auction = fakeAuction(() => [
      { agentId: "near", cost: 5 },
      { agentId: "cheap", cost: 1 },
    ]);
    const { d } = await swarm.leader("node-a", { auction: auction.run, bidWindowMs: 150 });
    swarm.agent({ id: "near", capabilities: ["lift"], position: { x: 0, y: 0 } });
    const cheap = swarm.agent({ id: "cheap", capabilities: ["lift"], position: { x: 99, y: 0 } });
    swarm.agent({ id: "unable", capabilities: ["camera"] });
    const { id } = await client.submit({
      kind: "k",
      capabilities: ["lift"],
      strategy: "auction",
      position: { x: 0, y: 0 },
    });
    await runUntil(swarm.clock, () => d.stats().finished.SUCCEEDED === 1, 5000);
    assert.equal(cheap.started.length, 1);
    const [call] = auction.calls;
    assert.deepEqual([...call!.candidates].sort(), ["cheap", "near"]);
    assert.equal(call!.windowMs, 150);
    assert.equal(call!.round, 1);
    assert.equal(call!.coordinatorId, "node-a");
    assert.equal(call!.task.id, id);
    assert.equal((await record(id))!.assignee, "cheap");
    assert.equal(d.stats().auctions, 1);
    assert.equal(d.stats().auctionFallbacks, 0);
  });

  it("falls back to queue (least loaded, then nearest) when nobody bids", async () => {
    const auction = fakeAuction(() => []);
    const { d } = await swarm.leader("node-a", { auction: auction.run });
    swarm.agent({ id: "far", position: { x: 50, y: 0 } });
    const near = swarm.agent({ id: "near", position: { x: 1, y: 0 } });
    const { id } = await client.submit({ kind: "k", strategy: "auction", position: { x: 0, y: 0 } });
    await runUntil(swarm.clock, () => d.stats().finished.SUCCEEDED === 1, 5000);
    assert.equal(near.started.length, 1);
    assert.equal((await record(id))!.attempts, 1);
    assert.equal(d.stats().auctionFallbacks, 1);
  });

  it("passes over a winner that lost its free credit during the window to the next bidder", async () => {
    let open!: () => void;
    const window = new Promise<void>((resolve) => {
      open = resolve;
    });
    const calls: AuctionRequest[] = [];
    const auction: RunAuction = async (req) => {
      calls.push(req);
      await window;
      const bids = [
        { agentId: "first", cost: 0 },
        { agentId: "second", cost: 3 },
      ];
      return { winner: "first", cost: 0, bids };
    };
    const { d } = await swarm.leader("node-a", { auction });
    const first = swarm.agent({ id: "first", credits: 1 }, { behaviour: "hold" });
    const second = swarm.agent({ id: "second", credits: 1 });
    const { id } = await client.submit({ kind: "k", strategy: "auction" });
    await runUntil(swarm.clock, () => calls.length === 1, 2000);
    assert.deepEqual([...calls[0]!.candidates].sort(), ["first", "second"]);
    // While bids are collected, a direct task takes first's only credit.
    const blocker = await client.submit({ kind: "k", strategy: "direct", targetAgentId: "first" });
    await runUntil(swarm.clock, () => first.running.has(blocker.id), 2000);
    open();
    await runUntil(swarm.clock, () => second.started.length === 1, 2000);
    assert.equal(second.started[0]!.taskId, id);
    assert.equal(first.maxRunning, 1);
    assert.equal(d.stats().auctionFallbacks, 0);
    first.release(blocker.id);
  });

  it("runs the contract net of ./auction by default: agents bid on offers, the cheapest wins", async () => {
    const { d } = await swarm.leader("node-a", { bidWindowMs: 100 });
    const costs: Record<string, number> = { a: 7, b: 2, c: 4 };
    const agents = Object.keys(costs).map((id) => swarm.agent({ id, capabilities: ["lift"] }));
    const subs = agents.map((a) => answerOffers(swarm.bus, a.id, () => costs[a.id], { clock: swarm.clock }));
    try {
      const { id } = await client.submit({ kind: "k", capabilities: ["lift"], strategy: "auction" });
      await runUntil(swarm.clock, () => d.stats().finished.SUCCEEDED === 1, 5000);
      assert.equal((await record(id))!.assignee, "b");
      assert.equal(d.stats().auctions, 1);
      assert.equal(d.stats().auctionFallbacks, 0);
    } finally {
      for (const s of subs) s.unsubscribe();
    }
  });

  it("runs auction tasks as queue tasks when the auction is turned off", async () => {
    const { d } = await swarm.leader("node-a", { auction: false });
    const agent = swarm.agent({ id: "a" });
    await client.submit({ kind: "k", strategy: "auction" });
    await runUntil(swarm.clock, () => d.stats().finished.SUCCEEDED === 1, 5000);
    assert.equal(agent.started.length, 1);
    assert.equal(d.stats().auctions, 0);
  });
});
