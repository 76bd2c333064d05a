import assert from "node:assert/strict";
import { isSwarmError, SimulatedClock, swarmlink, TaskState } from "@swarmlink/protocol";
import { MemoryStore } from "@swarmlink/store";
import { MemoryBus } from "@swarmlink/transport";
import fc from "fast-check";
import { Credits } from "../../src/dispatcher/credits.js";
import { awardFailed, backoffMs, type RetryPolicy, report } from "../../src/dispatcher/lifecycle.js";
import { Dispatcher, type DispatcherOptions, parseDispatcherOptions } from "../../src/dispatcher/mod.js";
import { newRecord } from "../../src/dispatcher/record.js";
import { FakeDirectory } from "./dispatcher-helpers.js";

const S = TaskState;
const policy: RetryPolicy = {
  maxAttempts: 3,
  baseBackoffMs: 100,
  maxBackoffMs: 1000,
  backoffJitter: 0,
  random: () => 0,
};

describe("Dispatcher parts", () => {
  it("refuses bad options with E_CONFIG naming the field", async () => {
    const clock = new SimulatedClock();
    const bus = new MemoryBus({ clock });
    const store = new MemoryStore({ clock });
    const leadership = { assertLeader: () => 1 } as unknown as DispatcherOptions["leadership"];
    const directory = new FakeDirectory();
    const base: DispatcherOptions = { bus, store, directory, coordinatorId: "n1", leadership };
    const bad: [Partial<DispatcherOptions>, string][] = [
      [{ coordinatorId: "a.b" }, "coordinatorId"],
      [{ acceptTimeoutMs: 0 }, "acceptTimeoutMs"],
      [{ baseBackoffMs: 500, maxBackoffMs: 100 }, "maxBackoffMs"],
      [{ backoffJitter: 2 }, "backoffJitter"],
      [{ maxAttempts: 0 }, "maxAttempts"],
      [{ bus: undefined }, "bus"],
      [{ directory: {} as FakeDirectory }, "directory"],
      [{ sweepIntervalMs: -1 }, "sweepIntervalMs"],
    ];
    for (const [patch, field] of bad) {
      assert.throws(
        () => new Dispatcher({ ...base, ...patch }),
        (e) => isSwarmError(e, "E_CONFIG") && e.context.field === field,
        field,
      );
    }
    const parsed = parseDispatcherOptions(base);
    assert.equal(parsed.acceptTimeoutMs, 2000);
    assert.equal(parsed.maxAttempts, 3);
    await bus.close();
    await store.close();
  });

  it("backs off min(max, base · 2^(attempt − 1)) plus at most the jitter", () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 60].map((a) => backoffMs(a, policy)),
      [100, 200, 400, 800, 1000, 1000],
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100 }),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        (attempt, r) => {
          const p = { ...policy, backoffJitter: 0.2, random: () => r };
          const plain = backoffMs(attempt, policy);
          const jittered = backoffMs(attempt, p);
          assert.ok(jittered >= plain && jittered <= Math.round(plain * 1.2));
        },
      ),
    );
  });

  it("applies a report only to the current attempt of its own agent", () => {
    const task = new swarmlink.v1.Task({ id: "t1", kind: "k" });
    const rec = { ...newRecord(task, 1, 0), state: S.TASK_STATE_ACCEPTED, assignee: "a", attempts: 2 };
    const rep = (p: object) => new swarmlink.v1.TaskResult({ taskId: "t1", agentId: "a", attempt: 2, ...p });
    assert.equal(report(rec, rep({ state: S.TASK_STATE_SUCCEEDED, attempt: 1 }), 5, policy), undefined);
    assert.equal(report(rec, rep({ state: S.TASK_STATE_SUCCEEDED, agentId: "b" }), 5, policy), undefined);
    assert.equal(report(rec, rep({ state: S.TASK_STATE_ACCEPTED }), 5, policy), undefined);
    assert.equal(
      report(rec, rep({ state: S.TASK_STATE_PROGRESS }), 5, policy)?.next.state,
      S.TASK_STATE_PROGRESS,
    );
    const failed = report(rec, rep({ state: S.TASK_STATE_FAILED, error: { code: "JAM" } }), 5, policy)!;
    assert.deepEqual(
      failed.events?.map((e) => e.state),
      [S.TASK_STATE_FAILED],
    );
    assert.equal(failed.next.state, S.TASK_STATE_QUEUED);
    assert.equal(failed.next.notBeforeMs, 5 + 200);
    assert.equal(failed.next.reason, "attempt 2 failed on a: JAM");
    const done = { ...rec, state: S.TASK_STATE_SUCCEEDED };
    assert.equal(report(done, rep({ state: S.TASK_STATE_FAILED }), 5, policy), undefined);
  });

  it("records the ACCEPTED a report implies when it comes before the award's answer", () => {
    const task = new swarmlink.v1.Task({ id: "t1", kind: "k" });
    const awarded = { ...newRecord(task, 1, 0), state: S.TASK_STATE_AWARDED, assignee: "a", attempts: 1 };
    const rep = (p: object) => new swarmlink.v1.TaskResult({ taskId: "t1", agentId: "a", attempt: 1, ...p });
    const states = (step: ReturnType<typeof report>) => [
      ...(step?.events ?? []).map((e) => e.state),
      step?.next.state,
      step?.volatile ?? false,
    ];
    const done = report(awarded, rep({ state: S.TASK_STATE_SUCCEEDED }), 5, policy);
    assert.deepEqual(states(done), [S.TASK_STATE_ACCEPTED, S.TASK_STATE_SUCCEEDED, false]);
    assert.equal(done!.events![0]!.updatedMs, 5);
    const failed = report(awarded, rep({ state: S.TASK_STATE_FAILED }), 5, policy);
    assert.deepEqual(states(failed), [
      S.TASK_STATE_ACCEPTED,
      S.TASK_STATE_FAILED,
      S.TASK_STATE_QUEUED,
      false,
    ]);
    const progress = report(awarded, rep({ state: S.TASK_STATE_PROGRESS }), 5, policy);
    assert.deepEqual(states(progress), [S.TASK_STATE_ACCEPTED, S.TASK_STATE_PROGRESS, true]);
    // ACCEPTED itself is the plain transition; a report of another attempt changes nothing.
    assert.deepEqual(states(report(awarded, rep({ state: S.TASK_STATE_ACCEPTED }), 5, policy)), [
      S.TASK_STATE_ACCEPTED,
      true,
    ]);
    assert.equal(report(awarded, rep({ state: S.TASK_STATE_SUCCEEDED, attempt: 2 }), 5, policy), undefined);
  });

  it("fails an attempt on a lost award answer only while it is AWARDED, on a refusal always", () => {
    const task = new swarmlink.v1.Task({ id: "t1", kind: "k" });
    const awarded = { ...newRecord(task, 1, 0), state: S.TASK_STATE_AWARDED, assignee: "a", attempts: 1 };
    const lost = { reason: "no acceptance of the award from a (E_TIMEOUT)", lost: true };
    const refused = { reason: "award refused by a (BUSY)", lost: false };
    const states = (step: ReturnType<typeof awardFailed>) => [
      ...(step?.events ?? []).map((e) => e.state),
      step?.next.state,
    ];
    assert.deepEqual(states(awardFailed(awarded, 1, lost, 5, policy)), [
      S.TASK_STATE_FAILED,
      S.TASK_STATE_QUEUED,
    ]);
    for (const state of [S.TASK_STATE_ACCEPTED, S.TASK_STATE_PROGRESS]) {
      // A report of the attempt came first: the agent has it, whatever became of its answer...
      assert.equal(awardFailed({ ...awarded, state }, 1, lost, 5, policy), undefined);
      // ...unless the answer says it refused.
      assert.deepEqual(states(awardFailed({ ...awarded, state }, 1, refused, 5, policy)), [
        S.TASK_STATE_FAILED,
        S.TASK_STATE_QUEUED,
      ]);
    }
    assert.equal(awardFailed(awarded, 2, lost, 5, policy), undefined, "another attempt's award");
  });

  it("counts credits per agent and moves them with the task", () => {
    const c = new Credits();
    c.hold("a", "t1");
    c.hold("a", "t2");
    c.hold("b", "t2"); // t2 moves to b
    assert.equal(c.load("a"), 1);
    assert.equal(c.load("b"), 1);
    assert.equal(c.drop("t1"), true);
    assert.equal(c.drop("t1"), false);
    assert.deepEqual(c.loads(), new Map([["b", 1]]));
  });
});
