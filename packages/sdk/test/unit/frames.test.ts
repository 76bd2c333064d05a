import assert from "node:assert/strict";
import {
  CommandStatus,
  decodeEnvelope,
  encodeEnvelope,
  type PayloadType,
  subjects,
  TaskState,
  unwrapAs,
  wrap,
} from "@swarmlink/protocol";
import { MemoryBus } from "@swarmlink/transport";
import fc from "fast-check";
import { connect, type FrameKind, type Swarm } from "../../src/mod.js";
import { HandCoordinator } from "./coordinator.js";

const ID = "amr-f";
const RUNS = 150;

/** Where each kind of frame arrives, and the payload type the agent expects there. */
const INBOX: Record<FrameKind, { subject: string; type: PayloadType }> = {
  award: { subject: subjects.agentTaskAward(ID), type: "swarmlink.v1.Award" },
  awardBatch: { subject: subjects.agentTaskAwards(ID), type: "swarmlink.v1.AwardBatch" },
  offer: { subject: subjects.agentTaskOffer(ID), type: "swarmlink.v1.TaskOffer" },
  cancel: { subject: subjects.agentTaskCancel(ID), type: "swarmlink.v1.TaskCancel" },
  command: { subject: subjects.agentCommand(ID, "dock"), type: "swarmlink.v1.Command" },
  presence: { subject: subjects.agentPresence(ID), type: "swarmlink.v1.Presence" },
};

describe("the agent's decoders of incoming frames (fast-check)", () => {
  let bus: MemoryBus;
  let coord: HandCoordinator;
  let swarm: Swarm;
  const unhandled: unknown[] = [];
  const onUnhandled = (err: unknown) => unhandled.push(err);

  beforeEach(async () => {
    unhandled.length = 0;
    process.on("unhandledRejection", onUnhandled);
    bus = new MemoryBus();
    coord = new HandCoordinator(bus, ID);
    swarm = await connect({ bus, name: "fuzz" });
  });
  afterEach(async () => {
    await swarm.close();
    coord.close();
    await bus.close();
    process.off("unhandledRejection", onUnhandled);
  });

  /** The agent still does its job: accepts a real award, answers a real command. */
  async function stillServes(): Promise<void> {
    const ok = await coord.award(ID, { taskId: "01J00000000000000000000ZZZ", attempt: 1, token: 2 ** 40 });
    assert.equal(ok.result.state, TaskState.TASK_STATE_ACCEPTED, JSON.stringify(ok.result));
    const cmd = wrap("swarmlink.v1.Command", { id: "c-ok", agentId: ID, name: "dock" }, { source: "op" });
    const m = await bus.request(subjects.agentCommand(ID, "dock"), encodeEnvelope(cmd), { timeout: 2000 });
    assert.equal(
      unwrapAs(decodeEnvelope(m.data), "swarmlink.v1.CommandReply").status,
      CommandStatus.COMMAND_STATUS_OK,
    );
    assert.deepEqual(unhandled, []);
  }

  it("counts arbitrary bytes on every subject of the agent as malformed, and keeps serving", async () => {
    const agent = await swarm.agent({ id: ID, credits: 1 });
    agent.onTask("t", () => "done");
    agent.onCommand("dock", () => "docked");
    agent.bid("t", () => 1);
    for (const [kind, { subject }] of Object.entries(INBOX) as [FrameKind, { subject: string }][]) {
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), async (bytes) => {
          const before = agent.malformedFrames.get(kind) ?? 0;
          bus.publish(subject, bytes);
          await bus.flush();
          assert.equal(agent.malformedFrames.get(kind), before + 1, `${kind}: ${bytes.length} bytes`);
        }),
        { numRuns: RUNS },
      );
      assert.equal(agent.malformedFrames.get(kind), RUNS);
    }
    await stillServes();
  });

  it("answers an unreadable award request REJECTED with an error code, echoing the correlation id when it has one", async () => {
    const agent = await swarm.agent({ id: ID });
    agent.onTask("t", () => "done");
    agent.onCommand("dock", () => "docked");
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 256 }), async (payload) => {
        // A well-formed Envelope of the right type around arbitrary payload bytes.
        const env = decodeEnvelope(
          encodeEnvelope(wrap("swarmlink.v1.TaskCancel", { taskId: "x" }, { source: "f" })),
        );
        env.type = "swarmlink.v1.Award";
        env.payload = payload;
        const m = await bus.request(subjects.agentTaskAward(ID), encodeEnvelope(env), { timeout: 2000 });
        const reply = decodeEnvelope(m.data);
        const r = unwrapAs(reply, "swarmlink.v1.TaskResult");
        assert.equal(r.state, TaskState.TASK_STATE_REJECTED);
        assert.ok(r.error?.code, "the refusal says why");
        assert.equal(reply.correlationId, env.id);
      }),
      { numRuns: RUNS },
    );
    assert.equal(agent.inFlight, 0);
    await stillServes();
  });

  it("never crashes on well-formed Envelopes of the expected type around arbitrary payload bytes", async () => {
    const agent = await swarm.agent({ id: ID, credits: 1 });
    agent.onTask("t", () => "done");
    agent.onCommand("dock", () => "docked");
    agent.bid("t", () => 1);
    const template = decodeEnvelope(
      encodeEnvelope(wrap("swarmlink.v1.TaskCancel", { taskId: "x" }, { source: "f" })),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...(Object.keys(INBOX) as FrameKind[]).filter((k) => k !== "award")),
        fc.uint8Array({ maxLength: 256 }),
        async (kind, payload) => {
          const { subject, type } = INBOX[kind];
          bus.publish(subject, encodeEnvelope({ ...template, type, payload }));
          await bus.flush();
        },
      ),
      { numRuns: RUNS * 2 },
    );
    await stillServes();
  });
});
