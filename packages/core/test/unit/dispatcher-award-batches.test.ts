import assert from "node:assert/strict";
import {
  type Award,
  decodeEnvelope,
  encodeEnvelope,
  isSwarmError,
  SimulatedClock,
  SwarmError,
  subjectPatterns,
  subjects,
  TaskState,
  ulid,
  unwrapAs,
  wrap,
} from "@swarmlink/protocol";
import { MemoryBus } from "@swarmlink/transport";
import { answerAwardBatch, ReportBatcher, type ResultInit } from "../../src/tasks/batches.js";
import { envelopeBytes, readReply } from "../../src/tasks/wire.js";
import { run, runUntil, SimSwarm, settle } from "./dispatcher-helpers.js";

const S = TaskState;

/**
 * An agent that asks for award batches, answering each batch with `answer` (undefined: raw bytes
 * instead of an answer, to test a malformed one).
 */
function batchAgent(
  swarm: SimSwarm,
  id: string,
  answer: (awards: Award[]) => ResultInit[] | Uint8Array,
  credits = 10,
) {
  swarm.directory.add({ id, credits, awardBatches: true });
  const batches: Award[][] = [];
  const singles: Uint8Array[] = [];
  const cancels: string[] = [];
  swarm.bus.subscribe(subjects.agentTaskAwards(id), {
    callback: (_e, m) => {
      const env = decodeEnvelope(m.data);
      const awards = unwrapAs(env, "swarmlink.v1.AwardBatch").awards as Award[];
      batches.push(awards);
      const a = answer(awards);
      m.respond(
        a instanceof Uint8Array
          ? a
          : envelopeBytes("swarmlink.v1.TaskResultBatch", { results: a }, id, swarm.clock, env.id),
      );
    },
  });
  swarm.bus.subscribe(subjects.agentTaskAward(id), { callback: (_e, m) => singles.push(m.data) });
  swarm.bus.subscribe(subjects.agentTaskCancel(id), {
    callback: (_e, m) => cancels.push(unwrapAs(decodeEnvelope(m.data), "swarmlink.v1.TaskCancel").taskId),
  });
  return { batches, singles, cancels };
}

const result = (a: Award, state: TaskState, code?: string): ResultInit => ({
  taskId: a.taskId,
  agentId: a.agentId,
  attempt: a.attempt,
  state,
  fencingToken: a.fencingToken,
  error: code ? { code, message: code, context: {} } : undefined,
});

describe("Dispatcher, award and report batches", () => {
  let swarm: SimSwarm;
  beforeEach(() => {
    swarm = new SimSwarm();
  });
  afterEach(() => swarm.close());

  async function submitAll(n: number): Promise<string[]> {
    const ids = await Promise.all(
      Array.from({ length: n }, () => swarm.client.submit({ kind: "pick" }).then((r) => r.id)),
    );
    return ids;
  }

  it("sends an agent that asks for batches the awards of one turn in one AwardBatch, and takes its batched reports", async () => {
    await swarm.leader();
    const reports = new ReportBatcher({ bus: swarm.bus, source: "b1", clock: swarm.clock, timeoutMs: 1000 });
    const acked: TaskState[] = [];
    const agent = batchAgent(swarm, "b1", (awards) => {
      // Done at once: the reports of the whole batch go in one TaskResultBatch too.
      queueMicrotask(() => {
        for (const a of awards) {
          void reports.report(result(a, S.TASK_STATE_SUCCEEDED)).then((info) => acked.push(info.state));
        }
      });
      return awards.map((a) => result(a, S.TASK_STATE_ACCEPTED));
    });
    let reportRequests = 0;
    swarm.bus.subscribe(subjects.taskReports(), { callback: () => reportRequests++ });
    // Several awards waiting at once: the agent is offline while the tasks are submitted.
    swarm.directory.setStatus("b1", "offline");
    const ids = await submitAll(6);
    await settle();
    swarm.directory.setStatus("b1", "online");
    await runUntil(swarm.clock, () => swarm.dispatchers[0]!.stats().finished.SUCCEEDED === 6, 5000);
    assert.equal(agent.singles.length, 0, "no single award to an agent that asks for batches");
    assert.deepEqual(
      agent.batches.map((b) => b.length),
      [6],
      "the six awards of one allocation pass in one batch",
    );
    assert.deepEqual(new Set(agent.batches[0]!.map((a) => a.taskId)), new Set(ids));
    assert.equal(reportRequests, 1, "the six reports in one request");
    assert.deepEqual(acked, Array(6).fill(S.TASK_STATE_SUCCEEDED));
    for (const id of ids) assert.equal((await swarm.record(id))?.state, S.TASK_STATE_SUCCEEDED);
  });

  it("fails only the attempts a batch's answer refuses or leaves out, and tells the agent to drop a left-out one", async () => {
    await swarm.leader("node-a", { maxAttempts: 1 });
    const agent = batchAgent(swarm, "b1", (awards) => {
      const [a, b] = awards;
      // Accepts the first, refuses the second, says nothing of the third.
      return [result(a!, S.TASK_STATE_ACCEPTED), result(b!, S.TASK_STATE_REJECTED, "E_OVERFLOW")];
    });
    swarm.directory.setStatus("b1", "offline");
    await submitAll(3);
    await settle();
    swarm.directory.setStatus("b1", "online");
    await runUntil(swarm.clock, () => agent.batches.length === 1, 2000);
    const [accepted, refused, leftOut] = agent.batches[0]!;
    await runUntil(swarm.clock, () => swarm.dispatchers[0]!.stats().finished.DEAD_LETTERED === 2, 5000);
    assert.equal((await swarm.record(accepted!.taskId))?.state, S.TASK_STATE_AWARDED);
    const r = (await swarm.record(refused!.taskId))!;
    assert.equal(r.state, S.TASK_STATE_DEAD_LETTERED);
    assert.equal(r.error?.code, "E_OVERFLOW");
    const l = (await swarm.record(leftOut!.taskId))!;
    assert.equal(l.state, S.TASK_STATE_DEAD_LETTERED);
    assert.equal(l.error?.code, "E_DECODE");
    assert.deepEqual(agent.cancels, [leftOut!.taskId], "the left-out award may have been taken: stop it");
  });

  it("fails every attempt of a batch whose answer is not a TaskResultBatch, and goes on", async () => {
    await swarm.leader("node-a", { maxAttempts: 1 });
    const agent = batchAgent(swarm, "b1", () => new Uint8Array([0xff, 0x00, 0x13]));
    swarm.directory.setStatus("b1", "offline");
    await submitAll(2);
    await settle();
    swarm.directory.setStatus("b1", "online");
    await runUntil(swarm.clock, () => swarm.dispatchers[0]!.stats().finished.DEAD_LETTERED === 2, 5000);
    assert.equal(agent.batches.length, 1);
    // The leader still serves: a third task goes to another agent.
    swarm.directory.setStatus("b1", "offline");
    const other = swarm.agent({ id: "s1" });
    const { id } = await swarm.client.submit({ kind: "pick" });
    await runUntil(swarm.clock, () => other.started.some((s) => s.taskId === id), 5000);
  });

  it("answers each report of a TaskResultBatch on its own: the record, or the error of an unknown task or a bad id", async () => {
    await swarm.leader();
    const agent = batchAgent(swarm, "b1", (awards) => awards.map((a) => result(a, S.TASK_STATE_ACCEPTED)));
    const [id] = await submitAll(1);
    await runUntil(swarm.clock, () => agent.batches.length === 1, 2000);
    const award = agent.batches[0]![0]!;
    const unknown = ulid();
    const data = envelopeBytes(
      "swarmlink.v1.TaskResultBatch",
      {
        results: [
          // Naming no agent: refused, where it used to count as the assignee's and fail the attempt.
          { taskId: id, state: S.TASK_STATE_FAILED, attempt: 1 },
          { ...result(award, S.TASK_STATE_SUCCEEDED), result: new TextEncoder().encode("done") },
          { taskId: unknown, agentId: "b1", state: S.TASK_STATE_SUCCEEDED, attempt: 1 },
          { taskId: "not an id", agentId: "b1", state: S.TASK_STATE_SUCCEEDED, attempt: 1 },
        ],
      },
      "b1",
      swarm.clock,
    );
    const reply = swarm.bus.request(subjects.taskReports(), data, { timeout: 1000 });
    await runUntil(swarm.clock, () => swarm.dispatchers[0]!.stats().finished.SUCCEEDED === 1, 2000);
    const {
      acks: [noAgent, ...acks],
    } = readReply((await reply).data, "swarmlink.v1.TaskReportAcks");
    assert.equal(noAgent?.error?.code, "E_INVALID");
    assert.equal(acks.length, 3);
    assert.equal(acks[0]!.taskId, id);
    assert.equal(acks[0]!.info?.state, S.TASK_STATE_SUCCEEDED);
    assert.equal(acks[0]!.info?.assignee, "b1");
    assert.equal(acks[0]!.info?.task?.id, id);
    assert.equal(acks[0]!.info?.task?.kind, "", "the ack carries the record without the task's spec");
    assert.equal(acks[0]!.info?.result?.length ?? 0, 0, "nor the result the agent sent");
    assert.equal(acks[1]!.error?.code, "E_NOT_FOUND");
    assert.equal(acks[2]!.error?.code, "E_INVALID");
    assert.equal(swarm.dispatchers[0]!.stats().malformedRequests, 2);
  });

  it("refuses a report batch that is not a TaskResultBatch Envelope with a typed error, counts it, and serves the next", async () => {
    await swarm.leader();
    const garbage = swarm.bus.request(subjects.taskReports(), new Uint8Array([1, 2, 3]), { timeout: 1000 });
    const wrongType = swarm.bus.request(
      subjects.taskReports(),
      encodeEnvelope(wrap("swarmlink.v1.Heartbeat", { agentId: "b1" }, { source: "b1" })),
      { timeout: 1000 },
    );
    await settle();
    await assert.rejects(
      garbage.then((m) => readReply(m.data, "swarmlink.v1.TaskReportAcks")),
      { code: "E_DECODE" },
    );
    await assert.rejects(
      wrongType.then((m) => readReply(m.data, "swarmlink.v1.TaskReportAcks")),
      { code: "E_INVALID" },
    );
    assert.equal(swarm.dispatchers[0]!.stats().malformedRequests, 2);
    const empty = await swarm.bus.request(
      subjects.taskReports(),
      envelopeBytes("swarmlink.v1.TaskResultBatch", { results: [] }, "b1", swarm.clock),
      { timeout: 1000 },
    );
    assert.deepEqual(readReply(empty.data, "swarmlink.v1.TaskReportAcks").acks, []);
  });

  it("gives no answer to a report batch whose write fencing refuses, and stops leading", async () => {
    // The Store refuses task writes as a newer term's fencing would, while this leader's lease holds.
    let refuse = false;
    const store = new Proxy(swarm.store, {
      get(target, key) {
        const value = Reflect.get(target, key, target);
        if (key !== "update") return typeof value === "function" ? value.bind(target) : value;
        return (
          k: string,
          ...rest: Parameters<typeof target.update> extends [string, ...infer R] ? R : never
        ) =>
          refuse && k.startsWith("tasks.")
            ? Promise.reject(new SwarmError("E_FENCED", "a newer term wrote first", { key: k }))
            : target.update(k, ...rest);
      },
    });
    const { d } = await swarm.leader("node-a", { store });
    const agent = batchAgent(swarm, "b1", (awards) => awards.map((a) => result(a, S.TASK_STATE_ACCEPTED)));
    const [id] = await submitAll(1);
    await runUntil(swarm.clock, () => agent.batches.length === 1, 2000);
    refuse = true;
    const data = envelopeBytes(
      "swarmlink.v1.TaskResultBatch",
      { results: [result(agent.batches[0]![0]!, S.TASK_STATE_SUCCEEDED)] },
      "b1",
      swarm.clock,
    );
    const reply = swarm.bus.request(subjects.taskReports(), data, { timeout: 500 });
    reply.catch(() => {});
    await runUntil(swarm.clock, () => d.stats().fenced === 1 && !d.leading, 1000);
    await run(swarm.clock, 600);
    await assert.rejects(
      reply,
      { code: "E_TIMEOUT" },
      "no answer, not an error the agent would take as final",
    );
    assert.equal((await swarm.record(id!))?.state, S.TASK_STATE_AWARDED, "nothing of the report was written");
  });

  it("closes an agent's AwardBatch before it outgrows the Bus's largest payload", async () => {
    await swarm.close();
    swarm = new SimSwarm({ maxPayloadBytes: 8 * 1024 });
    await swarm.leader();
    const agent = batchAgent(swarm, "b1", (awards) => awards.map((a) => result(a, S.TASK_STATE_ACCEPTED)));
    swarm.directory.setStatus("b1", "offline");
    const payload = new Uint8Array(3000);
    await Promise.all(Array.from({ length: 5 }, () => swarm.client.submit({ kind: "pick", payload })));
    await settle();
    swarm.directory.setStatus("b1", "online");
    await runUntil(swarm.clock, () => agent.batches.flat().length === 5, 2000);
    // 8 KiB less 1 KiB for the Envelope: two 3 KB awards per batch.
    assert.deepEqual(
      agent.batches.map((b) => b.length),
      [2, 2, 1],
    );
    await runUntil(swarm.clock, () => swarm.dispatchers[0]!.stats().tasksByState.AWARDED === undefined, 2000);
  });

  it("refuses a report batch of more than 256 reports with E_TOO_LARGE, and counts it", async () => {
    await swarm.leader();
    const results = Array.from({ length: 257 }, () => ({
      taskId: ulid(),
      agentId: "b1",
      state: S.TASK_STATE_SUCCEEDED,
    }));
    const data = envelopeBytes("swarmlink.v1.TaskResultBatch", { results }, "b1", swarm.clock);
    const reply = await swarm.bus.request(subjects.taskReports(), data, { timeout: 1000 });
    assert.throws(() => readReply(reply.data, "swarmlink.v1.TaskReportAcks"), { code: "E_TOO_LARGE" });
    assert.equal(swarm.dispatchers[0]!.stats().malformedRequests, 1);
  });
});

describe("the agent's side of batches (tasks/batches.ts)", () => {
  const clock = new SimulatedClock(1_700_000_000_000);
  const award = (taskId: string) => ({ taskId, agentId: "b1", attempt: 1, fencingToken: 3 }) as Award;

  it("answers an award its judge throws on REJECTED with the error, and the others as judged", () => {
    const batch = envelopeBytes(
      "swarmlink.v1.AwardBatch",
      { awards: [award("t1"), award("t2")] },
      "c",
      clock,
    );
    const reply = answerAwardBatch(batch, "b1", clock, (a) => {
      if (a.taskId === "t1") throw new SwarmError("E_FENCED", "a judge that throws");
      return result(a, S.TASK_STATE_ACCEPTED);
    });
    const { results } = readReply(reply, "swarmlink.v1.TaskResultBatch");
    assert.deepEqual(
      results.map((r) => [r.taskId, r.state, r.error?.code ?? ""]),
      [
        ["t1", S.TASK_STATE_REJECTED, "E_FENCED"],
        ["t2", S.TASK_STATE_ACCEPTED, ""],
      ],
    );
  });

  it("answers a batch whose answers its judge made unencodable with an Error, and counts it", () => {
    const batch = envelopeBytes("swarmlink.v1.AwardBatch", { awards: [award("t1")] }, "c", clock);
    let malformed = 0;
    const reply = answerAwardBatch(
      batch,
      "b1",
      clock,
      (a) => ({ ...result(a, S.TASK_STATE_ACCEPTED), taskId: 42 as unknown as string }),
      () => malformed++,
    );
    assert.throws(() => readReply(reply, "swarmlink.v1.TaskResultBatch"), { code: "E_ENCODE" });
    assert.equal(malformed, 1);
  });

  it("sends reports one by one on taskStatus when nobody serves taskReports (an older leader)", async () => {
    const bus = new MemoryBus({ clock });
    try {
      const seen: string[] = [];
      bus.subscribe(subjectPatterns.taskStatus, {
        callback: (_e, m) => {
          const r = unwrapAs(decodeEnvelope(m.data), "swarmlink.v1.TaskResult");
          seen.push(r.taskId);
          m.respond(
            envelopeBytes("swarmlink.v1.TaskInfo", { task: { id: r.taskId }, state: r.state }, "old", clock),
          );
        },
      });
      const reports = new ReportBatcher({ bus, source: "b1", clock, timeoutMs: 1000 });
      const [one, two] = await Promise.all(
        ["t1", "t2"].map((taskId) =>
          reports.report({ taskId, agentId: "b1", state: S.TASK_STATE_SUCCEEDED }),
        ),
      );
      assert.deepEqual(seen, ["t1", "t2"]);
      assert.equal(one?.task?.id, "t1");
      assert.equal(two?.state, S.TASK_STATE_SUCCEEDED);
    } finally {
      await bus.close();
    }
  });

  it("rejects a report whose ack names another task, and one the leader refused with its error", async () => {
    const bus = new MemoryBus({ clock });
    try {
      bus.subscribe(subjects.taskReports(), {
        callback: (_e, m) => {
          const acks = [
            { taskId: "other", info: { state: S.TASK_STATE_SUCCEEDED } },
            { taskId: "t2", error: { code: "E_NOT_FOUND", message: "no such task", context: {} } },
          ];
          m.respond(envelopeBytes("swarmlink.v1.TaskReportAcks", { acks }, "leader", clock));
        },
      });
      const reports = new ReportBatcher({ bus, source: "b1", clock, timeoutMs: 1000 });
      const [one, two] = await Promise.allSettled(
        ["t1", "t2"].map((taskId) =>
          reports.report({ taskId, agentId: "b1", state: S.TASK_STATE_SUCCEEDED }),
        ),
      );
      assert.ok(one?.status === "rejected" && isSwarmError(one.reason, "E_DECODE"), String(one?.status));
      assert.ok(two?.status === "rejected" && isSwarmError(two.reason, "E_NOT_FOUND"), String(two?.status));
    } finally {
      await bus.close();
    }
  });
});
