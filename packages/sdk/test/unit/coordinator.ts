import {
  decodeEnvelope,
  encodeEnvelope,
  type PayloadInit,
  PresenceStatus,
  subjectPatterns,
  subjects,
  type TaskResult,
  TaskState,
  unwrapAs,
  wrap,
} from "@swarmlink/protocol";
import type { Bus, Subscription } from "@swarmlink/transport";

type InfoInit = PayloadInit<"swarmlink.v1.TaskInfo">;

/**
 * A coordinator (and registry) for one agent, made by hand on the Bus, for tests that need to say exactly what a leader answers:
 * grants registrations (epoch 1, 2, …), acknowledges status reports with what `ack` returns (the
 * assignee and attempt of the report, AWARDED, unless a test says otherwise), and sends awards.
 */
export class HandCoordinator {
  readonly reports: TaskResult[] = [];
  /** What the leader's record says when an agent reports; a test replaces it to fence an attempt. */
  ack: (r: TaskResult) => InfoInit = (r) => ({
    id: r.taskId,
    kind: "t",
    state: r.state === TaskState.TASK_STATE_ACCEPTED ? TaskState.TASK_STATE_AWARDED : r.state,
    assignee: r.agentId,
    attempts: r.attempt,
  });
  readonly #bus: Bus;
  readonly #subs: Subscription[];
  #epoch = 0;

  constructor(bus: Bus, agentId: string) {
    this.#bus = bus;
    const reply = <K extends "swarmlink.v1.Presence" | "swarmlink.v1.TaskInfo">(
      type: K,
      p: PayloadInit<K>,
      id: string,
    ) => encodeEnvelope(wrap(type, p, { source: "hand", correlationId: id }));
    this.#subs = [
      bus.subscribe(subjects.agentRegister(agentId), {
        callback: (_e, m) => {
          const env = decodeEnvelope(m.data);
          const d = unwrapAs(env, "swarmlink.v1.AgentDescriptor");
          const p = { agentId: d.id, epoch: ++this.#epoch, status: PresenceStatus.PRESENCE_STATUS_ONLINE };
          m.respond(reply("swarmlink.v1.Presence", p, env.id));
        },
      }),
      bus.subscribe(subjects.agentDeregister(agentId), {
        callback: (_e, m) => {
          const env = decodeEnvelope(m.data);
          const p = unwrapAs(env, "swarmlink.v1.Presence");
          const off = { agentId: p.agentId, epoch: p.epoch, status: PresenceStatus.PRESENCE_STATUS_OFFLINE };
          m.respond(reply("swarmlink.v1.Presence", off, env.id));
        },
      }),
      bus.subscribe(subjectPatterns.taskStatus, {
        callback: (_e, m) => {
          const env = decodeEnvelope(m.data);
          const r = unwrapAs(env, "swarmlink.v1.TaskResult");
          this.reports.push(r);
          m.respond(reply("swarmlink.v1.TaskInfo", this.ack(r), env.id));
        },
      }),
      bus.subscribe(subjects.taskReports(), {
        callback: (_e, m) => {
          const env = decodeEnvelope(m.data);
          const results = unwrapAs(env, "swarmlink.v1.TaskResultBatch").results as TaskResult[];
          this.reports.push(...results);
          this.reportBatches++;
          const acks = results.map((r) => ({ taskId: r.taskId, info: this.ack(r) }));
          const data = wrap(
            "swarmlink.v1.TaskReportAcks",
            { acks },
            { source: "hand", correlationId: env.id },
          );
          m.respond(encodeEnvelope(data));
        },
      }),
    ];
  }

  /** Reports that came in batches (`taskReports` requests). */
  reportBatches = 0;

  /** Sends several awards in one AwardBatch, as a coordinator holding `token` would; resolves with the reply. */
  async awardBatch(agentId: string, awards: { taskId: string; attempt: number; token: number }[]) {
    const sent = wrap(
      "swarmlink.v1.AwardBatch",
      { awards: awards.map((a) => this.#award(agentId, a)) },
      { source: "hand" },
    );
    const m = await this.#bus.request(subjects.agentTaskAwards(agentId), encodeEnvelope(sent), {
      timeout: 2000,
    });
    return { sentId: sent.id, env: decodeEnvelope(m.data) };
  }

  #award(
    agentId: string,
    a: { taskId: string; attempt: number; token: number; capability?: string; deadlineMs?: number },
  ) {
    const task = { id: a.taskId, kind: a.capability ?? "t", capabilities: [a.capability ?? "t"] };
    return {
      taskId: a.taskId,
      agentId,
      fencingToken: a.token,
      coordinatorId: `c${a.token}`,
      attempt: a.attempt,
      deadlineMs: a.deadlineMs ?? 0,
      task,
    };
  }

  /** Sends an award as a coordinator holding `token` would; resolves with the Envelope of the reply. */
  async award(
    agentId: string,
    a: { taskId: string; attempt: number; token: number; capability?: string; deadlineMs?: number },
  ) {
    const sent = wrap("swarmlink.v1.Award", this.#award(agentId, a), { source: `c${a.token}` });
    const m = await this.#bus.request(subjects.agentTaskAward(agentId), encodeEnvelope(sent), {
      timeout: 2000,
    });
    const env = decodeEnvelope(m.data);
    return { sentId: sent.id, env, result: unwrapAs(env, "swarmlink.v1.TaskResult") };
  }

  close(): void {
    for (const s of this.#subs) s.unsubscribe();
  }
}
