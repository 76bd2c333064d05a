import assert from "node:assert/strict";
import { SimulatedWorker } from "@swarmlink/core";
import {
  AgentState,
  CommandStatus,
  decodeEnvelope,
  encodeEnvelope,
  isSwarmError,
  SwarmError,
  subjectPatterns,
  subjects,
  TaskState,
  type Telemetry,
  unwrapAs,
  wrap,
} from "@swarmlink/protocol";
import { MemoryBus, type PublishOptions } from "@swarmlink/transport";
import { connect, type Swarm } from "../../src/mod.js";
import { sleep, waitUntil } from "../helpers.js";
import { HandCoordinator } from "./coordinator.js";

const T1 = "01J0000000000000000000000A";
const T2 = "01J0000000000000000000000B";
const T3 = "01J0000000000000000000000C";

/** A MemoryBus that refuses telemetry publishes while `refusing` is set, as a full or closed link would. */
class RefusingBus extends MemoryBus {
  refusing = false;
  override publish(subject: string, data?: Uint8Array, opts?: PublishOptions): void {
    if (this.refusing && subject.includes(".telemetry."))
      throw new SwarmError("E_OVERFLOW", "link buffer full", { subject });
    super.publish(subject, data, opts);
  }
}

/** A handler that waits for its signal and records why it was aborted. */
function untilAborted(seen: { reason?: unknown }) {
  return (_t: unknown, { signal }: { signal: AbortSignal }) =>
    new Promise((_, reject) => {
      signal.addEventListener("abort", () => {
        seen.reason = signal.reason;
        reject(signal.reason);
      });
    });
}

for (const batches of [true, false])
  describe(`the agent's side of the wire, against a hand-made coordinator (batches: ${batches})`, () => {
    let bus: RefusingBus;
    let coord: HandCoordinator;
    let swarm: Swarm;

    beforeEach(async () => {
      bus = new RefusingBus();
      coord = new HandCoordinator(bus, "amr-w");
      swarm = await connect({ bus, name: "wire" });
      const agent = swarm.agent.bind(swarm);
      // Every agent of these tests takes awards and sends reports in batches, or never does.
      swarm.agent = (o) => agent({ ...o, batches });
    });
    afterEach(async () => {
      await swarm.close();
      coord.close();
      await bus.close();
    });

    it("aborts a running handler with E_FENCED when a newer coordinator's ack gives the attempt to another agent", async () => {
      const agent = await swarm.agent({ id: "amr-w", credits: 2, retryMs: 10 });
      const seen: { reason?: unknown } = {};
      agent.onTask("t", untilAborted(seen));
      agent.onTask("u", () => new Promise(() => {}), { credits: 1 });
      const first = await coord.award("amr-w", { taskId: T1, attempt: 1, token: 10 });
      assert.equal(first.result.state, TaskState.TASK_STATE_ACCEPTED);
      await waitUntil(() => coord.reports.some((r) => r.taskId === T1), 2000, "the ACCEPTED report");
      await sleep(20);
      assert.equal(seen.reason, undefined, "the first leader's ack keeps the attempt running");

      // A second leader (token 20) re-assigned T1 to another agent as attempt 2; an award of its own
      // tells the agent a newer term began, so it asks about T1 and learns it is no longer its own.
      coord.ack = (r) => ({
        id: r.taskId,
        kind: "t",
        state: TaskState.TASK_STATE_AWARDED,
        assignee: r.taskId === T1 ? "amr-other" : r.agentId,
        attempts: r.taskId === T1 ? 2 : r.attempt,
      });
      const second = await coord.award("amr-w", { taskId: T2, attempt: 1, token: 20, capability: "u" });
      assert.equal(second.result.state, TaskState.TASK_STATE_ACCEPTED);
      await waitUntil(() => seen.reason !== undefined, 2000, "the fenced abort");
      assert.ok(isSwarmError(seen.reason, "E_FENCED"), String(seen.reason));
      assert.equal((seen.reason as SwarmError).context.taskId, T1);
      await waitUntil(
        () => coord.reports.some((r) => r.taskId === T1 && r.state === TaskState.TASK_STATE_FAILED),
        2000,
        "the final FAILED report of the fenced attempt",
      );
      const failed = coord.reports.find((r) => r.taskId === T1 && r.state === TaskState.TASK_STATE_FAILED);
      assert.equal(failed?.error?.code, "E_FENCED");
    });

    it("answers awards with the award Envelope's id as correlation id, accepted or refused", async () => {
      const agent = await swarm.agent({ id: "amr-w", credits: 1 });
      agent.onTask("t", () => new Promise(() => {}));
      const ok = await coord.award("amr-w", { taskId: T1, attempt: 1, token: 5 });
      assert.equal(ok.result.state, TaskState.TASK_STATE_ACCEPTED);
      assert.equal(ok.env.correlationId, ok.sentId);
      const busy = await coord.award("amr-w", { taskId: T2, attempt: 1, token: 5 });
      assert.equal(busy.result.error?.code, "E_OVERFLOW");
      assert.equal(busy.env.correlationId, busy.sentId);
      const old = await coord.award("amr-w", { taskId: T2, attempt: 1, token: 4 });
      assert.equal(old.result.error?.code, "E_FENCED");
      assert.equal(old.env.correlationId, old.sentId);
    });

    if (batches) {
      it("answers an AwardBatch with one result per award and the batch's id as correlation id, and reports together", async () => {
        const agent = await swarm.agent({ id: "amr-w", credits: 2 });
        agent.onTask("t", async () => "ok");
        const r = await coord.awardBatch("amr-w", [
          { taskId: T1, attempt: 1, token: 5 },
          { taskId: T2, attempt: 1, token: 5 },
          { taskId: T3, attempt: 1, token: 5 },
        ]);
        assert.equal(r.env.correlationId, r.sentId);
        const { results } = unwrapAs(r.env, "swarmlink.v1.TaskResultBatch");
        assert.deepEqual(
          results.map((x) => [x.taskId, x.state, x.error?.code ?? ""]),
          [
            [T1, TaskState.TASK_STATE_ACCEPTED, ""],
            [T2, TaskState.TASK_STATE_ACCEPTED, ""],
            [T3, TaskState.TASK_STATE_REJECTED, "E_OVERFLOW"],
          ],
        );
        const done = () => coord.reports.filter((x) => x.state === TaskState.TASK_STATE_SUCCEEDED);
        await waitUntil(() => done().length === 2, 2000, "both final reports");
        assert.deepEqual(
          done()
            .map((x) => x.taskId)
            .sort(),
          [T1, T2],
        );
        assert.ok(coord.reportBatches < coord.reports.length, "several reports went in one request");
      });

      it("refuses the awards of a batch older than a token it has seen with E_FENCED, and runs none of them", async () => {
        const agent = await swarm.agent({ id: "amr-w", credits: 3 });
        let runs = 0;
        agent.onTask("t", () => {
          runs++;
          return new Promise(() => {});
        });
        await coord.awardBatch("amr-w", [{ taskId: T1, attempt: 1, token: 7 }]);
        const stale = await coord.awardBatch("amr-w", [
          { taskId: T2, attempt: 1, token: 6 },
          { taskId: T3, attempt: 1, token: 6 },
        ]);
        const { results } = unwrapAs(stale.env, "swarmlink.v1.TaskResultBatch");
        assert.deepEqual(
          results.map((x) => [x.taskId, x.state, x.error?.code ?? ""]),
          [
            [T2, TaskState.TASK_STATE_REJECTED, "E_FENCED"],
            [T3, TaskState.TASK_STATE_REJECTED, "E_FENCED"],
          ],
        );
        await sleep(20);
        assert.equal(runs, 1, "only the current term's award runs");
        assert.equal(agent.refusedAwards.get("E_FENCED"), 2);
      });

      it("answers a malformed AwardBatch with an Error Envelope, counts it, and keeps serving", async () => {
        const agent = await swarm.agent({ id: "amr-w" });
        agent.onTask("t", () => new Promise(() => {}));
        const m = await bus.request(subjects.agentTaskAwards("amr-w"), new Uint8Array([9, 9, 9]), {
          timeout: 2000,
        });
        assert.equal(decodeEnvelope(m.data).type, "swarmlink.v1.Error");
        assert.equal(agent.malformedFrames.get("awardBatch"), 1);
        const ok = await coord.awardBatch("amr-w", [{ taskId: T1, attempt: 1, token: 5 }]);
        const { results } = unwrapAs(ok.env, "swarmlink.v1.TaskResultBatch");
        assert.equal(results[0]?.state, TaskState.TASK_STATE_ACCEPTED);
      });
    }

    it("aborts a running handler's signal with E_CLOSED when the agent closes, and reports it FAILED", async () => {
      const agent = await swarm.agent({ id: "amr-w", retryMs: 10 });
      const seen: { reason?: unknown } = {};
      agent.onTask("t", untilAborted(seen));
      await coord.award("amr-w", { taskId: T1, attempt: 1, token: 1 });
      await agent.close({ timeoutMs: 50 });
      assert.ok(isSwarmError(seen.reason, "E_CLOSED"), String(seen.reason));
      const last = coord.reports.at(-1);
      assert.equal(last?.state, TaskState.TASK_STATE_FAILED);
      assert.equal(last?.error?.code, "E_CLOSED");
    });

    it("answers a command past its deadline with TIMEOUT without running it", async () => {
      const agent = await swarm.agent({ id: "amr-w" });
      let runs = 0;
      agent.onCommand("dock", () => {
        runs++;
        return "docked";
      });
      const sent = wrap(
        "swarmlink.v1.Command",
        { id: "c-late", agentId: "amr-w", name: "dock", deadlineMs: Date.now() - 1, issuer: "op" },
        { source: "op" },
      );
      const m = await bus.request(subjects.agentCommand("amr-w", "dock"), encodeEnvelope(sent), {
        timeout: 2000,
      });
      const env = decodeEnvelope(m.data);
      const reply = unwrapAs(env, "swarmlink.v1.CommandReply");
      assert.equal(reply.status, CommandStatus.COMMAND_STATUS_TIMEOUT);
      assert.equal(reply.error?.code, "E_TIMEOUT");
      assert.equal(env.correlationId, sent.id);
      assert.equal(runs, 0);
    });

    it("counts telemetry the Bus refuses in telemetryStats().refused, and sends again once it accepts", async () => {
      const agent = await swarm.agent({ id: "amr-w" });
      bus.refusing = true;
      agent.telemetry("diag", { n: 1 });
      agent.telemetry("pose", { x: 1, y: 1 }, { conflate: true });
      await waitUntil(() => agent.telemetryStats().refused === 2, 2000, "two refusals");
      assert.equal(agent.telemetryStats().sent, 0);
      bus.refusing = false;
      agent.telemetry("diag", { n: 2 });
      await waitUntil(() => agent.telemetryStats().sent === 1, 2000, "a sample sent");
      assert.equal(agent.telemetryStats().refused, 2);
    });

    it("sends battery and status samples as typed Telemetry bodies, and anything else as JSON", async () => {
      const agent = await swarm.agent({ id: "amr-w" });
      const got = new Map<string, Telemetry>();
      const sub = bus.subscribe(subjectPatterns.agentTelemetry("amr-w"), {
        callback: (_e, m) => {
          const t = unwrapAs(decodeEnvelope(m.data), "swarmlink.v1.Telemetry");
          got.set(t.stream, t);
        },
      });
      try {
        agent.telemetry("battery", { percent: 42.5, charging: true, voltage: 24 });
        agent.telemetry("status", { state: AgentState.AGENT_STATE_CHARGING, message: "dock 3" });
        agent.telemetry("pose", { x: 1, y: 2, headingDeg: 90, speedMps: 0.5 });
        agent.telemetry("lidar", { ranges: [1, 2] });
        await waitUntil(() => got.size === 4, 2000, "four streams");
      } finally {
        sub.unsubscribe();
      }
      const battery = got.get("battery");
      assert.equal(battery?.agentId, "amr-w");
      assert.equal(battery?.battery?.percent, 42.5);
      assert.equal(battery?.battery?.charging, true);
      assert.equal(battery?.battery?.voltage, 24);
      assert.ok(Number(battery?.sampleTimeMs) > 0);
      const status = got.get("status");
      assert.equal(status?.status?.state, AgentState.AGENT_STATE_CHARGING);
      assert.equal(status?.status?.message, "dock 3");
      assert.equal(status?.battery, null);
      const pose = got.get("pose");
      assert.equal(pose?.pose?.position?.cartesian?.x, 1);
      assert.equal(pose?.pose?.headingDeg, 90);
      const lidar = got.get("lidar");
      assert.deepEqual(JSON.parse(new TextDecoder().decode(lidar?.json ?? new Uint8Array())), {
        ranges: [1, 2],
      });
      assert.ok(!lidar?.battery && !lidar?.status && !lidar?.pose);
    });

    it("SimulatedWorker answers awards with the award Envelope's id as correlation id", async () => {
      const worker = new SimulatedWorker(bus, { id: "amr-w", capabilities: ["t"] }, { workMs: 10_000 });
      await worker.start();
      try {
        const ok = await coord.award("amr-w", { taskId: T1, attempt: 1, token: 3 });
        assert.equal(ok.result.state, TaskState.TASK_STATE_ACCEPTED);
        assert.equal(ok.env.correlationId, ok.sentId);
        const old = await coord.award("amr-w", { taskId: T2, attempt: 1, token: 2 });
        assert.equal(old.result.error?.code, "E_FENCED");
        assert.equal(old.env.correlationId, old.sentId);
      } finally {
        worker.close();
      }
    });
  });
