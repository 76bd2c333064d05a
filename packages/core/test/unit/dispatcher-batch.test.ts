import assert from "node:assert/strict";
import type { Task } from "@swarmlink/protocol";
import type { Subscription } from "@swarmlink/transport";
import { answerOffers } from "../../src/dispatcher/auction/mod.js";
import {
  type AuctionRequest,
  type BatchAuctionRequest,
  parseDispatcherOptions,
  type RunAuction,
  type RunBatchAuction,
} from "../../src/dispatcher/mod.js";
import type { DispatcherOptions } from "../../src/dispatcher/options.js";
import { runUntil, SimSwarm } from "./dispatcher-helpers.js";

const x = (task: Task) => task.position?.cartesian?.x ?? 0;

describe("Dispatcher, batch auctions", () => {
  let swarm: SimSwarm;
  let subs: Subscription[];
  beforeEach(() => {
    swarm = new SimSwarm();
    subs = [];
  });
  afterEach(async () => {
    for (const s of subs) s.unsubscribe();
    await swarm.close();
  });

  /** Agents on a line, bidding their distance to the task (or staying out where `price` says so). */
  function bidders(at: Record<string, number>, price?: (id: string, task: Task) => number | undefined) {
    for (const [id, pos] of Object.entries(at)) {
      swarm.agent({ id, position: { x: pos, y: 0 } }, { behaviour: "hold" });
      const cost = price ?? ((_: string, task: Task) => Math.abs(x(task) - pos));
      subs.push(answerOffers(swarm.bus, id, (task) => cost(id, task), { clock: swarm.clock }));
    }
  }

  /** Submits auction tasks at these x positions, most urgent first, and waits until all are QUEUED. */
  async function waiting(d: { stats(): { tasksByState: Record<string, number> } }, xs: number[]) {
    const ids: string[] = [];
    for (const [i, pos] of xs.entries()) {
      const spec = { kind: "k", strategy: "auction" as const, position: { x: pos, y: 0 } };
      ids.push((await swarm.client.submit({ ...spec, priority: 9 - i })).id);
    }
    await runUntil(swarm.clock, () => d.stats().tasksByState.QUEUED === xs.length, 5000);
    return ids;
  }

  async function assignees(ids: string[]): Promise<(string | undefined)[]> {
    return Promise.all(ids.map(async (id) => (await swarm.record(id))?.assignee));
  }

  const awarded = (n: number) => () => swarm.agents.reduce((s, a) => s + a.started.length, 0) === n;

  // Agents a (x 0), b (x 10), c (x 100); tasks, most urgent first, at x 4, 0, 100. Sequential
  // auctions: 4 → a (4), 0 → b (10), 100 → c (0) = 14; the optimum: 4 → b (6), 0 → a (0) = 6.
  const AGENTS = { a: 0, b: 10, c: 100 };
  const TASKS = [4, 0, 100];

  it("auctions tasks waiting together as one batch and awards the optimal assignment", async () => {
    const { d } = await swarm.leader("node-a", { bidWindowMs: 100 });
    const ids = await waiting(d, TASKS);
    bidders(AGENTS); // all join in one turn: one allocation pass sees the three tasks
    await runUntil(swarm.clock, awarded(3), 5000);
    assert.deepEqual(await assignees(ids), ["b", "a", "c"]);
    const s = d.stats();
    assert.equal(s.batchAuctions, 1);
    assert.equal(s.auctions, 3);
    assert.equal(s.auctionFallbacks, 0);
    assert.equal(s.awards, 3);
  });

  it("auctions one task after the other when batching is off (the greedy assignment)", async () => {
    const { d } = await swarm.leader("node-a", { bidWindowMs: 100, batchAuctions: false });
    const ids = await waiting(d, TASKS);
    bidders(AGENTS);
    await runUntil(swarm.clock, awarded(3), 5000);
    assert.deepEqual(await assignees(ids), ["a", "b", "c"]);
    assert.equal(d.stats().batchAuctions, 0);
    assert.equal(d.stats().auctions, 3);
  });

  it("never gives an agent more tasks than its free credits, however cheap its bids", async () => {
    const { d } = await swarm.leader("node-a", { bidWindowMs: 100 });
    const ids = await waiting(d, [1, 2, 3, 4]);
    bidders({ cheap: 0, x: 50, y: 60 }, (id) => (id === "cheap" ? 0 : 5));
    await runUntil(swarm.clock, awarded(3), 5000);
    await runUntil(swarm.clock, () => d.stats().tasksByState.QUEUED === 1, 2000);
    const [cheap, ...others] = swarm.agents;
    assert.equal(cheap!.awards.length, 1);
    assert.equal(cheap!.maxRunning, 1);
    for (const a of others) assert.equal(a.awards.length, 1);
    const got = await assignees(ids);
    assert.deepEqual(got.filter((a) => a !== undefined && a !== "").sort(), ["cheap", "x", "y"]);
    // The least urgent task waits: every credit is taken.
    assert.equal(got[3], "");
    assert.equal((await swarm.record(ids[3]!))!.attempts, 0);
    assert.equal(d.stats().loads.cheap, 1);
    assert.equal(d.stats().auctionFallbacks, 1);
  });

  it("falls back to queue for a task of the batch nobody bids for", async () => {
    const { d } = await swarm.leader("node-a", { bidWindowMs: 100 });
    const ids = await waiting(d, [0, 99]);
    // Nobody wants the task at x 99; a bids for the other one. b, nearest to 99, gets it by queue.
    bidders({ a: 0, b: 90 }, (id, task) => (id === "a" && x(task) === 0 ? 1 : undefined));
    await runUntil(swarm.clock, awarded(2), 5000);
    assert.deepEqual(await assignees(ids), ["a", "b"]);
    const s = d.stats();
    assert.equal(s.batchAuctions, 1);
    assert.equal(s.auctions, 2);
    assert.equal(s.auctionFallbacks, 1);
  });

  it("auctions a lone task with runAuction, and gives the batch function each task's candidates and free credits", async () => {
    const singles: AuctionRequest[] = [];
    const batches: BatchAuctionRequest[] = [];
    const auction: RunAuction = async (req) => {
      singles.push(req);
      return { winner: req.candidates[0], cost: 1, bids: [{ agentId: req.candidates[0]!, cost: 1 }] };
    };
    let credits: Record<string, number> = {};
    const batchAuction: RunBatchAuction = async (req) => {
      batches.push(req);
      credits = Object.fromEntries(["a", "b", "gone"].map((id) => [id, req.credits(id)]));
      const awards = new Map(req.tasks.map((t, i) => [t.id, { agentId: i === 0 ? "a" : "b", cost: 1 }]));
      return { awards };
    };
    const { d } = await swarm.leader("node-a", { auction, batchAuction });
    const ids = await waiting(d, [0, 0]);
    swarm.agent({ id: "a", credits: 3 }, { behaviour: "hold" });
    swarm.agent({ id: "b", credits: 1 }, { behaviour: "hold" });
    await runUntil(swarm.clock, awarded(2), 5000);
    assert.equal(batches.length, 1);
    assert.equal(singles.length, 0);
    const [req] = batches;
    assert.deepEqual(
      req!.tasks.map((t) => t.id),
      ids,
    );
    assert.deepEqual([...req!.candidates(req!.tasks[0]!)].sort(), ["a", "b"]);
    assert.equal(req!.round, 1);
    assert.deepEqual(credits, { a: 3, b: 1, gone: 0 });
    assert.deepEqual(await assignees(ids), ["a", "b"]);

    // b is full now: a task alone goes to runAuction's stand-in, among the agents with a free credit.
    const lone = await swarm.client.submit({ kind: "k", strategy: "auction" });
    await runUntil(swarm.clock, awarded(3), 5000);
    assert.equal(batches.length, 1);
    assert.equal(singles.length, 1);
    assert.equal(singles[0]!.task.id, lone.id);
    assert.deepEqual(singles[0]!.candidates, ["a"]);
  });

  it("passes a task whose allocated agent lost its credit meanwhile to its next bidder", async () => {
    let open!: () => void;
    const window = new Promise<void>((resolve) => {
      open = resolve;
    });
    const batchAuction: RunBatchAuction = async (req) => {
      await window;
      const [t1, t2] = req.tasks;
      const awards = new Map([
        [t1!.id, { agentId: "first", cost: 0 }],
        [t2!.id, { agentId: "second", cost: 0 }],
      ]);
      const bids = [
        { agentId: "first", cost: 0 },
        { agentId: "third", cost: 2 },
      ];
      const auctions = new Map(req.tasks.map((t) => [t.id, { bids }]));
      return { awards, auctions };
    };
    const { d } = await swarm.leader("node-a", { batchAuction });
    const ids = await waiting(d, [0, 0]);
    const first = swarm.agent({ id: "first" }, { behaviour: "hold" });
    swarm.agent({ id: "second" }, { behaviour: "hold" });
    const third = swarm.agent({ id: "third" }, { behaviour: "hold" });
    await runUntil(swarm.clock, () => d.stats().batchAuctions === 1, 2000);
    // While bids are collected, a direct task takes first's only credit.
    const blocker = await swarm.client.submit({ kind: "k", strategy: "direct", targetAgentId: "first" });
    await runUntil(swarm.clock, () => first.running.has(blocker.id), 2000);
    open();
    await runUntil(swarm.clock, awarded(3), 2000);
    assert.deepEqual(await assignees(ids), ["third", "second"]);
    assert.equal(first.maxRunning, 1);
    assert.equal(third.awards.length, 1);
    assert.equal(d.stats().auctionFallbacks, 0);
  });

  it("refuses a batchAuctions that is not a boolean and a batchAuction that is not a function", () => {
    const base = {
      bus: swarm.bus,
      store: swarm.store,
      directory: swarm.directory,
      leadership: { assertLeader: () => 1 },
      coordinatorId: "node-a",
    } as unknown as DispatcherOptions;
    const field = (o: Partial<DispatcherOptions>) => {
      try {
        parseDispatcherOptions({ ...base, ...o });
        return undefined;
      } catch (err) {
        return (err as { context?: { field?: string } }).context?.field;
      }
    };
    assert.equal(field({ batchAuctions: "yes" as unknown as boolean }), "batchAuctions");
    assert.equal(field({ batchAuction: 5 as unknown as RunBatchAuction }), "batchAuction");
    assert.equal(parseDispatcherOptions(base).batchAuction !== undefined, true);
    assert.equal(parseDispatcherOptions({ ...base, batchAuctions: false }).batchAuction, undefined);
    assert.equal(parseDispatcherOptions({ ...base, batchAuction: false }).batchAuction, undefined);
    assert.equal(parseDispatcherOptions({ ...base, auction: false }).batchAuction, undefined);
  });
});
