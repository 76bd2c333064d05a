import assert from "node:assert/strict";
import {
  isSwarmError,
  isUlid,
  isValidId,
  kvKeys,
  type TaskInfo,
  TaskState,
  TaskStrategy,
} from "@swarmlink/protocol";
import fc from "fast-check";
import { isStale } from "../../src/tasks/client.js";
import { buildTask, lifecycleName, type TaskClient, taskIdForKey, taskProblem } from "../../src/tasks/mod.js";
import { runUntil, SimSwarm } from "./dispatcher-helpers.js";

const S = TaskState;
const invalid = (field: string) => (e: unknown) => isSwarmError(e, "E_INVALID") && e.context.field === field;

describe("task ids from idempotency keys", () => {
  it("are the same for the same key, valid ids, never ULIDs, and differ between keys", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 200 }),
        fc.string({ minLength: 1, maxLength: 200 }),
        (a, b) => {
          const id = taskIdForKey(a);
          assert.equal(taskIdForKey(a), id);
          assert.ok(isValidId(id));
          assert.match(id, /^t[0-9A-HJKMNP-TV-Z]{26}$/);
          assert.equal(isUlid(id), false);
          if (a !== b) assert.notEqual(taskIdForKey(b), id);
        },
      ),
    );
  });

  it("are pinned: other implementations must derive the same id", () => {
    assert.equal(taskIdForKey("order-4711"), taskIdForKey("order-4711"));
    assert.equal(taskIdForKey("order-4711").length, 27);
    // Changing the derivation breaks every stored key: this value must never change.
    assert.equal(taskIdForKey("order-4711"), PINNED);
  });

  it("refuse an empty, oversized or malformed key with E_INVALID", () => {
    assert.throws(() => taskIdForKey(""), invalid("idempotencyKey"));
    assert.throws(() => taskIdForKey("x".repeat(1025)), invalid("idempotencyKey"));
    assert.throws(() => taskIdForKey("\ud800"), invalid("idempotencyKey"));
  });
});

/** Computed independently (Python's hashlib) from the derivation documented on `taskIdForKey`. */
const PINNED = "t0BSRTXKCGQTYVARW414S4A0NNA";

describe("task specs", () => {
  it("become Tasks with defaults, and bad ones are refused naming the field", () => {
    const t = buildTask({ kind: "pick", position: { x: 1, y: 2 } }, "t1");
    assert.equal(t.strategy, TaskStrategy.TASK_STRATEGY_QUEUE);
    assert.deepEqual(t.position, { cartesian: { x: 1, y: 2, z: 0 } });
    assert.throws(() => buildTask({ kind: "" }, "t1"), invalid("kind"));
    // 256 bytes of UTF-8 at most, however few UTF-16 units they take.
    assert.equal(buildTask({ kind: "é".repeat(128) }, "t1").kind?.length, 128);
    assert.throws(() => buildTask({ kind: "é".repeat(129) }, "t1"), invalid("kind"));
    assert.throws(() => buildTask({ kind: "😀".repeat(65) }, "t1"), invalid("kind"));
    assert.throws(() => buildTask({ kind: "k".repeat(257) }, "t1"), invalid("kind"));
    assert.throws(() => buildTask({ kind: "k", priority: 10 }, "t1"), invalid("priority"));
    assert.throws(() => buildTask({ kind: "k", strategy: "direct" }, "t1"), invalid("targetAgentId"));
    assert.throws(() => buildTask({ kind: "k", targetAgentId: "a" }, "t1"), invalid("targetAgentId"));
    assert.throws(() => buildTask({ kind: "k", deadlineMs: -1 }, "t1"), invalid("deadlineMs"));
    assert.throws(
      () => buildTask({ kind: "k", position: { x: Number.NaN, y: 0 } }, "t1"),
      invalid("position"),
    );
    assert.throws(() => buildTask({ kind: "k", strategy: "best" as "queue" }, "t1"), invalid("strategy"));
    assert.deepEqual(taskProblem({ ...buildTask({ kind: "k" }, "t1"), id: "a.b" } as never), {
      field: "id",
      reason: "must be a valid id",
    });
  });

  it("map states to the issue's life cycle", () => {
    assert.equal(lifecycleName(S.TASK_STATE_QUEUED), "pending");
    assert.equal(lifecycleName(S.TASK_STATE_AWARDED), "assigned");
    assert.equal(lifecycleName(S.TASK_STATE_PROGRESS), "running");
    assert.equal(lifecycleName(S.TASK_STATE_EXPIRED), "timed_out");
    assert.equal(lifecycleName(S.TASK_STATE_REJECTED), "unknown");
  });
});

describe("TaskClient against a dispatcher", () => {
  let swarm: SimSwarm;
  let client: TaskClient;
  beforeEach(() => {
    swarm = new SimSwarm();
    client = swarm.client;
  });
  afterEach(() => swarm.close());

  it("submits a key twice, and again past the stream's window: one id, one record, one run", async () => {
    const { d } = await swarm.leader();
    const agent = swarm.agent({ id: "amr" }, { workMs: 10 });
    const first = await client.submit({ kind: "pick", idempotencyKey: "order-1" });
    const second = await client.submit({ kind: "pick", idempotencyKey: "order-1" });
    assert.equal(first.id, taskIdForKey("order-1"));
    assert.deepEqual(second, { id: first.id, duplicate: true });
    await runUntil(swarm.clock, () => d.stats().finished.SUCCEEDED === 1, 5000);
    swarm.clock.advance(121_000); // the stream forgets the msgId
    const late = await client.submit({ kind: "pick", idempotencyKey: "order-1" });
    assert.deepEqual(late, { id: first.id, duplicate: false });
    await runUntil(swarm.clock, () => d.stats().duplicates === 1, 5000);
    assert.equal(agent.started.length, 1);
    assert.deepEqual(await swarm.store.keys("tasks."), [kvKeys.task(first.id)]);
    assert.equal((await client.get(first.id)).state, S.TASK_STATE_SUCCEEDED);
  });

  it("gets, lists by state, and watches a task to its end", async () => {
    const { d } = await swarm.leader();
    const agent = swarm.agent({ id: "amr", capabilities: ["lift"] }, { behaviour: "hold" });
    const lift = await client.submit({ kind: "lift", capabilities: ["lift"] });
    const fly = await client.submit({ kind: "fly", capabilities: ["wings"] });
    await runUntil(swarm.clock, () => agent.running.size === 1 && d.stats().tasksByState.QUEUED === 1, 2000);
    const seen: TaskState[] = [];
    const ac = new AbortController();
    const watching = (async () => {
      for await (const info of client.watch(lift.id, { signal: ac.signal })) seen.push(info.state);
    })();
    const queued = await client.list({ state: S.TASK_STATE_QUEUED });
    assert.deepEqual(
      queued.map((t) => t.task?.id),
      [fly.id],
    );
    const all = await client.list();
    assert.deepEqual(all.map((t) => t.task?.id).sort(), [lift.id, fly.id].sort());
    assert.equal((await client.list({ limit: 1 })).length, 1);
    await runUntil(swarm.clock, () => seen.length === 1, 1000);
    agent.release(lift.id);
    await watching;
    assert.deepEqual(seen, [S.TASK_STATE_ACCEPTED, S.TASK_STATE_SUCCEEDED]);
    assert.equal((await client.get(lift.id)).assignee, "amr");
    await assert.rejects(client.get("nope"), (e) => isSwarmError(e, "E_NOT_FOUND"));
    ac.abort();
  });

  it("ends a watch with E_ABORTED when its signal fires", async () => {
    await swarm.leader();
    const { id } = await client.submit({ kind: "k", capabilities: ["none"] });
    const ac = new AbortController();
    const it = client.watch(id, { signal: ac.signal });
    const first = await it.next();
    assert.equal(first.value?.state ?? S.TASK_STATE_QUEUED, S.TASK_STATE_QUEUED);
    const next = it.next();
    ac.abort();
    await assert.rejects(next, (e) => isSwarmError(e, "E_ABORTED"));
  });

  it("fails requests with E_NO_RESPONDERS while there is no leader, and submits anyway", async () => {
    await assert.rejects(client.get("t1"), (e) => isSwarmError(e, "E_NO_RESPONDERS"));
    const { id } = await client.submit({ kind: "k" }); // creates the stream when nothing has yet
    assert.ok(isUlid(id));
    const { d } = await swarm.leader();
    await runUntil(swarm.clock, () => d.stats().submitted === 1, 2000);
    assert.equal((await client.get(id)).state, S.TASK_STATE_QUEUED);
  });
});

describe("a task watch's order", () => {
  const at = (state: TaskState, updatedMs: number, attempts = 1) =>
    ({ state, updatedMs, attempts }) as unknown as TaskInfo;
  it("drops an event that a later one of the same step already overtook, and nothing else", () => {
    const S = TaskState;
    // One step's events share updatedMs: ACCEPTED then PROGRESS, read after a get answered PROGRESS.
    assert.ok(isStale(at(S.TASK_STATE_ACCEPTED, 5), at(S.TASK_STATE_PROGRESS, 5)));
    assert.ok(isStale(at(S.TASK_STATE_PROGRESS, 5), at(S.TASK_STATE_PROGRESS, 5)));
    assert.ok(!isStale(at(S.TASK_STATE_SUCCEEDED, 5), at(S.TASK_STATE_ACCEPTED, 5)));
    assert.ok(isStale(at(S.TASK_STATE_AWARDED, 9), at(S.TASK_STATE_AWARDED, 10)));
    // A failed attempt: FAILED then QUEUED in one step, then the next attempt's award.
    assert.ok(!isStale(at(S.TASK_STATE_QUEUED, 7), at(S.TASK_STATE_FAILED, 7)));
    assert.ok(!isStale(at(S.TASK_STATE_AWARDED, 7, 2), at(S.TASK_STATE_QUEUED, 7, 1)));
    assert.ok(isStale(at(S.TASK_STATE_FAILED, 7, 1), at(S.TASK_STATE_AWARDED, 7, 2)));
    // QUEUED and OFFERED can alternate within one attempt: neither overtakes the other.
    assert.ok(!isStale(at(S.TASK_STATE_QUEUED, 3, 0), at(S.TASK_STATE_OFFERED, 3, 0)));
  });
});
