import assert from "node:assert/strict";
import { isSwarmError, subjects, TaskState } from "@swarmlink/protocol";
import type { DispatcherLogger } from "../../src/dispatcher/mod.js";
import type { TaskClient } from "../../src/tasks/mod.js";
import { readReply } from "../../src/tasks/wire.js";
import type { Leadership, LeadershipState } from "../../src/types.js";
import { run, runUntil, SimSwarm } from "./dispatcher-helpers.js";

const S = TaskState;

/** A leadership that believes it leads under `token` whatever the Store says: a paused, deposed leader. */
function staleLeadership(token: number): Leadership {
  const state: LeadershipState = { group: "dispatcher", holder: "zombie", token, sinceMs: 0, isLeader: true };
  return {
    group: "dispatcher",
    candidateId: "zombie",
    isLeader: true,
    token,
    state: () => state,
    assertLeader: () => token,
    onChange: () => () => {},
    waitForLeadership: async () => token,
    resign: async () => {},
    close: async () => {},
  };
}

/** Keeps every warning, to look for the fencing one. */
function recordingLog(): DispatcherLogger & { warnings: { obj: object; msg?: string }[] } {
  const warnings: { obj: object; msg?: string }[] = [];
  const drop = () => {};
  return { debug: drop, info: drop, error: drop, warn: (obj, msg) => warnings.push({ obj, msg }), warnings };
}

describe("Dispatcher, failover and fencing", () => {
  let swarm: SimSwarm;
  let client: TaskClient;
  beforeEach(() => {
    swarm = new SimSwarm();
    client = swarm.client;
  });
  afterEach(() => swarm.close());

  const records = (ids: string[]) => Promise.all(ids.map((id) => swarm.record(id)));

  it("hands every task to the next leader: none lost, each run once, credits kept", async () => {
    const a = await swarm.leader("node-a");
    const b = await swarm.dispatcher("node-b");
    const agents = [0, 1, 2, 3].map((i) => swarm.agent({ id: `amr-${i}`, credits: 2 }, { workMs: 400 }));
    const ids: string[] = [];
    for (let i = 0; i < 30; i++)
      ids.push((await client.submit({ kind: "k", idempotencyKey: `order-${i}` })).id);
    await run(swarm.clock, 150);
    const running = agents.reduce((n, x) => n + x.running.size, 0);
    assert.ok(running > 0, "tasks are in flight when the leader goes");
    const tokenA = a.d.stats().token!;
    await a.l.close(); // A's leadership ends: its dispatcher stops at once
    assert.equal(a.d.leading, false);
    await runUntil(swarm.clock, () => b.d.leading, 10_000);
    assert.ok(b.d.stats().token! > tokenA);
    await runUntil(
      swarm.clock,
      () => (b.d.stats().finished.SUCCEEDED ?? 0) + (a.d.stats().finished.SUCCEEDED ?? 0) === 30,
      60_000,
    );
    const recs = await records(ids);
    for (const r of recs) {
      assert.equal(r?.state, S.TASK_STATE_SUCCEEDED);
      assert.equal(r.attempts, 1, `${r.task.id} was awarded once`);
    }
    const starts = agents.flatMap((x) => x.started.map((s) => `${s.taskId}#${s.attempt}`));
    assert.equal(starts.length, 30, "every task ran once");
    assert.equal(new Set(starts).size, 30);
    for (const x of agents) assert.ok(x.maxRunning <= 2, `${x.id} ran ${x.maxRunning} at once`);
    // Records still running at the handover were rewritten under B's token.
    assert.ok(recs.some((r) => r!.writtenUnder === b.d.stats().token));

    // An award replayed with A's old token is refused by an agent that has heard from B.
    const old = agents.flatMap((x) => x.awards).find((w) => w.token === tokenA)!;
    const target = agents.find((x) => (x.fence.highest("dispatcher") ?? 0) > tokenA)!;
    const reply = await swarm.bus.request(subjects.agentTaskAward(target.id), old.raw, { timeout: 100 });
    const result = readReply(reply.data, "swarmlink.v1.TaskResult");
    assert.equal(result.state, S.TASK_STATE_REJECTED);
    assert.equal(result.error?.code, "E_FENCED");
  });

  it("takes the submissions a dead leader held but never acked", async () => {
    const a = await swarm.leader("node-a", { intakeAckWaitMs: 1000 });
    const b = await swarm.dispatcher("node-b", { intakeAckWaitMs: 1000 });
    swarm.agent({ id: "amr", credits: 50 }, { workMs: 10 });
    const ids = await Promise.all(
      [...Array(20)].map(async (_, i) => (await client.submit({ kind: `k${i}` })).id),
    );
    await a.l.close(); // before A's intake had the chance to take them all
    await runUntil(swarm.clock, () => b.d.leading, 10_000);
    await runUntil(
      swarm.clock,
      () => (a.d.stats().finished.SUCCEEDED ?? 0) + (b.d.stats().finished.SUCCEEDED ?? 0) === 20,
      30_000,
    );
    for (const r of await records(ids)) assert.equal(r?.state, S.TASK_STATE_SUCCEEDED);
  });

  it("re-awards an award the old leader made that was never accepted, after acceptTimeoutMs", async () => {
    const a = await swarm.leader("node-a");
    const b = await swarm.dispatcher("node-b");
    const agent = swarm.agent({ id: "amr" }, { behaviour: (w) => (w.attempt === 1 ? "silent" : "succeed") });
    const { id } = await client.submit({ kind: "k" });
    await runUntil(swarm.clock, () => agent.awards.length === 1, 1000);
    await a.l.close();
    await runUntil(swarm.clock, () => b.d.leading, 10_000);
    assert.equal(b.d.stats().tasksByState.AWARDED, 1, "B keeps the award it found");
    await runUntil(swarm.clock, () => b.d.stats().finished.SUCCEEDED === 1, 10_000);
    const [rec] = await records([id]);
    assert.equal(rec?.attempts, 2);
    assert.ok(agent.cancels.includes(id), "the agent is told to drop the unanswered attempt");
  });

  it("re-sends an inherited award as the same attempt: the agent that has it is not given another", async () => {
    const a = await swarm.leader("node-a");
    const b = await swarm.dispatcher("node-b");
    const tokenA = a.d.stats().token!;
    // It runs attempt 1, but its answer dies with A and it never reports ACCEPTED on its own.
    const agent = swarm.agent(
      { id: "amr" },
      { behaviour: (w) => (w.token === tokenA ? "mute" : "succeed"), reportAccepted: false, workMs: 20_000 },
    );
    const { id } = await client.submit({ kind: "k" });
    await runUntil(swarm.clock, () => agent.awards.length === 1, 1000);
    await a.l.close();
    await runUntil(swarm.clock, () => b.d.leading, 10_000);
    await runUntil(swarm.clock, () => b.d.stats().tasksByState.ACCEPTED === 1, 1000);
    const again = agent.awards[1]!;
    assert.deepEqual([again.attempt, again.token], [1, b.d.stats().token], "the same attempt, B's token");
    await runUntil(swarm.clock, () => b.d.stats().finished.SUCCEEDED === 1, 30_000);
    const [rec] = await records([id]);
    assert.equal(rec?.attempts, 1);
    assert.deepEqual(agent.started, [{ taskId: id, attempt: 1 }], "run once");
  });

  it("moves on a running task whose agent went offline while nobody led", async () => {
    const a = await swarm.leader("node-a", { baseBackoffMs: 10 });
    const x = swarm.agent({ id: "x", position: { x: 0, y: 0 } }, { behaviour: "hold" });
    const y = swarm.agent({ id: "y", position: { x: 9, y: 0 } });
    const { id } = await client.submit({ kind: "k", position: { x: 0, y: 0 } });
    await runUntil(swarm.clock, () => x.running.has(id), 1000);
    await a.d.stop();
    swarm.directory.setStatus("x", "offline");
    const b = await swarm.dispatcher("node-b", { baseBackoffMs: 10 });
    await a.l.close();
    await runUntil(swarm.clock, () => b.d.stats().finished.SUCCEEDED === 1, 10_000);
    assert.equal(y.started.length, 1);
    const [rec] = await records([id]);
    assert.equal(rec?.assignee, "y");
    assert.equal(rec?.attempts, 2);
  });

  it("refuses a deposed leader's writes with E_FENCED and stops it", async () => {
    const a = await swarm.leader("node-a");
    const tokenA = a.d.stats().token!;
    await a.l.close();
    const b = await swarm.leader("node-b");
    const worker = swarm.agent({ id: "w", credits: 3 }, { behaviour: "hold" });
    const ids = await Promise.all([0, 1, 2].map(async (i) => (await client.submit({ kind: `k${i}` })).id));
    await runUntil(swarm.clock, () => worker.running.size === 3, 2000);
    const before = await records(ids);
    const log = recordingLog();
    const zombie = await swarm.dispatcher("zombie", { leadership: staleLeadership(tokenA), log });
    await runUntil(swarm.clock, () => zombie.d.stats().fenced > 0, 2000);
    assert.equal(zombie.d.leading, false);
    const warned = log.warnings.find((w) => isSwarmError((w.obj as { err?: unknown }).err, "E_FENCED"));
    assert.ok(warned, "the refusal is logged with E_FENCED");
    assert.deepEqual(await records(ids), before, "no record changed");
    for (const id of ids) worker.release(id);
    await runUntil(swarm.clock, () => b.d.stats().finished.SUCCEEDED === 3, 2000);
    assert.equal(zombie.d.stats().awards, 0);
  });

  it("fails an award refused by an agent's TokenFence and gives the task to another agent", async () => {
    await swarm.leader("node-a", { baseBackoffMs: 10 });
    const fenced = swarm.agent({ id: "a-fenced", position: { x: 0, y: 0 } });
    fenced.fence.observe("dispatcher", 1_000_000); // it has heard of a far newer leader
    const other = swarm.agent({ id: "b-other", position: { x: 100, y: 0 } });
    const { id } = await client.submit({ kind: "k", position: { x: 0, y: 0 } });
    await runUntil(swarm.clock, () => swarm.dispatchers[0]!.stats().finished.SUCCEEDED === 1, 5000);
    assert.deepEqual(fenced.refused, [{ taskId: id, code: "E_FENCED" }]);
    assert.equal(other.started.length, 1);
    const [rec] = await records([id]);
    assert.equal(rec?.attempts, 2);
    assert.equal(rec?.assignee, "b-other");
    assert.equal(
      swarm.dispatchers[0]!.stats().fenced,
      0,
      "the agent's refusal is not the dispatcher's fencing",
    );
  });
});
