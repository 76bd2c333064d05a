import assert from "node:assert/strict";
import {
  decodeEnvelope,
  encodeEnvelope,
  isSwarmError,
  STREAMS,
  subjects,
  TaskState,
  unwrapAs,
  wrap,
} from "@swarmlink/protocol";
import type { TaskClient } from "../../src/tasks/mod.js";
import { run, runUntil, SimSwarm } from "./dispatcher-helpers.js";

const S = TaskState;

describe("Dispatcher, retries, deadlines and cancels", () => {
  let swarm: SimSwarm;
  let client: TaskClient;
  beforeEach(() => {
    swarm = new SimSwarm();
    client = swarm.client;
  });
  afterEach(() => swarm.close());

  const record = (id: string) => swarm.record(id);
  const events = (id: string) => {
    const seen: {
      state: TaskState;
      attempts: number;
      updatedMs: number;
      notBeforeMs: number;
      reason: string;
    }[] = [];
    swarm.bus.subscribe(subjects.taskEvents(id), {
      callback: (_e, m) => seen.push(unwrapAs(decodeEnvelope(m.data), "swarmlink.v1.TaskInfo")),
    });
    return seen;
  };

  it("retries failed attempts with doubling backoff, then dead-letters the task with the reason in SWARM_DLQ", async () => {
    await swarm.leader("node-a", { baseBackoffMs: 1000, maxBackoffMs: 1500, maxAttempts: 3 });
    const agent = swarm.agent({ id: "flaky" }, { behaviour: "fail", workMs: 10 });
    const dlq = await swarm.bus.streams.consumer(STREAMS.deadLetters.name, { name: "test" });
    const id = "t-fails";
    const seen = events(id);
    // A raw submission with an id of our choosing: the client would make a ULID.
    const task = { id, kind: "k", strategy: 1 };
    const env = wrap("swarmlink.v1.Task", task, { source: "test" }, { clock: swarm.clock });
    await swarm.bus.streams.publish(subjects.taskSubmit(), encodeEnvelope(env), { msgId: id });
    await runUntil(swarm.clock, () => seen.some((e) => e.state === S.TASK_STATE_DEAD_LETTERED), 20_000);
    assert.deepEqual(
      agent.started.map((s) => s.attempt),
      [1, 2, 3],
    );
    const queued = seen.filter((e) => e.state === S.TASK_STATE_QUEUED && e.attempts > 0);
    assert.deepEqual(
      queued.map((e) => e.notBeforeMs - e.updatedMs),
      [1000, 1500],
      "backoff: base, then doubled but capped at maxBackoffMs",
    );
    assert.equal(seen.filter((e) => e.state === S.TASK_STATE_FAILED).length, 3);
    const rec = (await record(id))!;
    assert.equal(rec.state, S.TASK_STATE_DEAD_LETTERED);
    assert.match(rec.reason, /attempt 3 failed on flaky: E_INTERNAL|attempt 3 failed on flaky/);
    assert.match(rec.reason, /out of attempts \(3 of 3\)/);
    const fetching = dlq.fetch({ batch: 10, expiresMs: 10 });
    await run(swarm.clock, 20);
    const [letter, extra] = await fetching;
    assert.equal(extra, undefined, "one dead letter");
    assert.ok(letter);
    const info = unwrapAs(decodeEnvelope(letter.data), "swarmlink.v1.TaskInfo");
    assert.equal(info.task?.id, id);
    assert.equal(info.state, S.TASK_STATE_DEAD_LETTERED);
    assert.equal(info.reason, rec.reason);
    letter.ack();
    assert.equal(swarm.dispatchers[0]!.stats().deadLetters, 1);
    assert.equal(swarm.dispatchers[0]!.stats().retries, 2);
  });

  it("fails an unanswered award after acceptTimeoutMs, tells the agent to stop, and awards again", async () => {
    await swarm.leader("node-a", { acceptTimeoutMs: 500, baseBackoffMs: 100 });
    const mute = swarm.agent(
      { id: "mute", credits: 1 },
      { behaviour: (a) => (a.attempt === 1 ? "silent" : "succeed") },
    );
    const { id } = await client.submit({ kind: "k" });
    await runUntil(swarm.clock, () => mute.cancels.includes(id), 2000);
    await runUntil(swarm.clock, () => swarm.dispatchers[0]!.stats().finished.SUCCEEDED === 1, 5000);
    const rec = (await record(id))!;
    assert.equal(rec.attempts, 2);
    assert.deepEqual(
      mute.awards.map((a) => a.attempt),
      [1, 2],
    );
  });

  it("keeps an attempt whose agent reported it running when the award's answer is lost", async () => {
    await swarm.leader("node-a", { acceptTimeoutMs: 500, baseBackoffMs: 100 });
    // Its ACCEPTED report arrives; its answer to the award never does.
    const agent = swarm.agent({ id: "lossy", credits: 1 }, { behaviour: "mute", workMs: 2000 });
    swarm.agent({ id: "spare", credits: 1 }, { behaviour: "succeed" });
    const { id } = await client.submit({ kind: "k" });
    await runUntil(swarm.clock, () => agent.started.length === 1, 500);
    const seen = events(id);
    await run(swarm.clock, 1000); // the award's answer is overdue
    assert.deepEqual(agent.cancels, [], "the agent running it is not told to stop");
    assert.equal((await client.get(id)).state, S.TASK_STATE_ACCEPTED);
    await runUntil(swarm.clock, () => swarm.dispatchers[0]!.stats().finished.SUCCEEDED === 1, 3000);
    const rec = (await record(id))!;
    assert.equal(rec.attempts, 1);
    assert.equal(rec.assignee, "lossy");
    assert.deepEqual(
      seen.map((e) => e.state),
      [S.TASK_STATE_SUCCEEDED],
    );
  });

  it("dead-letters at once when the task's own max_attempts is 1 and the agent refuses", async () => {
    await swarm.leader();
    swarm.agent({ id: "grumpy" }, { behaviour: "reject" });
    const { id } = await client.submit({ kind: "k", maxAttempts: 1 });
    await runUntil(swarm.clock, () => swarm.dispatchers[0]!.stats().deadLetters === 1, 5000);
    const rec = (await record(id))!;
    assert.match(rec.reason, /award refused by grumpy \(BUSY\)/);
    assert.equal(rec.error?.code, "BUSY");
  });

  it("expires a task at its deadline: a waiting one, and a running one, whose agent is told", async () => {
    await swarm.leader();
    const slow = swarm.agent({ id: "slow", capabilities: ["x"] }, { behaviour: "hold" });
    const now = swarm.clock.now();
    const running = await client.submit({ kind: "k", capabilities: ["x"], deadlineMs: now + 1000 });
    const waiting = await client.submit({ kind: "k", capabilities: ["nobody"], deadlineMs: now + 1500 });
    await runUntil(swarm.clock, () => slow.running.has(running.id), 500);
    await run(swarm.clock, 990);
    // ACCEPTED lives in the leader's memory (Step.volatile); the Store keeps the award.
    assert.equal((await client.get(running.id)).state, S.TASK_STATE_ACCEPTED);
    assert.equal((await record(running.id))!.state, S.TASK_STATE_AWARDED);
    await runUntil(swarm.clock, () => slow.cancels.includes(running.id), 200);
    const r1 = (await record(running.id))!;
    assert.equal(r1.state, S.TASK_STATE_EXPIRED);
    assert.match(r1.reason, /deadline passed while ACCEPTED/);
    await runUntil(swarm.clock, () => swarm.dispatchers[0]!.stats().finished.EXPIRED === 2, 1000);
    assert.equal((await record(waiting.id))!.state, S.TASK_STATE_EXPIRED);
    assert.ok(swarm.clock.now() >= now + 1500);
  });

  it("cancels a queued task and a running one; the running one's agent is told; a finished one stays", async () => {
    await swarm.leader();
    const worker = swarm.agent({ id: "w", capabilities: ["x"] }, { behaviour: "hold" });
    const runningTask = await client.submit({ kind: "k", capabilities: ["x"] });
    const queuedTask = await client.submit({ kind: "k", capabilities: ["y"] });
    await runUntil(swarm.clock, () => worker.running.has(runningTask.id), 2000);
    await runUntil(swarm.clock, () => swarm.dispatchers[0]!.stats().tasksByState.QUEUED === 1, 2000);
    const q = await client.cancel(queuedTask.id, "changed my mind");
    assert.equal(q.state, S.TASK_STATE_CANCELLED);
    assert.equal(q.reason, "changed my mind");
    const r = await client.cancel(runningTask.id);
    assert.equal(r.state, S.TASK_STATE_CANCELLED);
    await runUntil(swarm.clock, () => worker.cancels.includes(runningTask.id), 500);
    assert.equal(worker.cancels.includes(queuedTask.id), false);
    const again = await client.cancel(runningTask.id, "twice");
    assert.equal(again.reason, "cancelled", "a finished task is answered as it is");
    await assert.rejects(client.cancel("t-unknown"), (e) => isSwarmError(e, "E_NOT_FOUND"));
    assert.equal(swarm.dispatchers[0]!.stats().finished.CANCELLED, 2);
  });

  it("moves a running task on when its agent goes offline", async () => {
    await swarm.leader("node-a", { baseBackoffMs: 10 });
    const a = swarm.agent({ id: "a", credits: 1 }, { behaviour: "hold" });
    const b = swarm.agent({ id: "b", credits: 1 }, { behaviour: "hold" });
    const { id } = await client.submit({ kind: "k" });
    await runUntil(swarm.clock, () => a.running.has(id) || b.running.has(id), 2000);
    const [gone, other] = a.running.has(id) ? [a, b] : [b, a];
    swarm.directory.setStatus(gone.id, "offline");
    await runUntil(swarm.clock, () => other.running.has(id), 2000);
    other.release(id);
    await runUntil(swarm.clock, () => swarm.dispatchers[0]!.stats().finished.SUCCEEDED === 1, 2000);
    const rec = (await record(id))!;
    assert.equal(rec.assignee, other.id);
    assert.equal(rec.attempts, 2);
  });

  it("dead-letters a malformed submission with the reason and terminates an undecodable one", async () => {
    await swarm.leader();
    const bad = { id: "t-direct", kind: "k", strategy: 3 }; // direct without a target
    const env = wrap("swarmlink.v1.Task", bad, { source: "test" }, { clock: swarm.clock });
    await swarm.bus.streams.publish(subjects.taskSubmit(), encodeEnvelope(env), { msgId: bad.id });
    await swarm.bus.streams.publish(subjects.taskSubmit(), new Uint8Array([1, 2, 3]));
    await runUntil(swarm.clock, () => swarm.dispatchers[0]!.stats().malformed === 1, 2000);
    await runUntil(swarm.clock, () => swarm.dispatchers[0]!.stats().deadLetters === 1, 2000);
    const rec = (await record(bad.id))!;
    assert.equal(rec.state, S.TASK_STATE_DEAD_LETTERED);
    assert.match(rec.reason, /invalid task: targetAgentId/);
  });
});
