import assert from "node:assert/strict";
import { type NatsServer, type ServerHandle, startNats, startRedis } from "@swarmlink/harness";
import {
  CommandReceiptState,
  CommandStatus,
  decodeEnvelope,
  encodeEnvelope,
  isSwarmError,
  PresenceStatus,
  SwarmError,
  subjects,
  TaskState,
  unwrapAs,
  wrap,
} from "@swarmlink/protocol";
import type { Bus } from "@swarmlink/transport";
import { connect, type Swarm } from "../../src/mod.js";
import { embeddedSwarm, natsSwarm, sleep, waitUntil } from "../helpers.js";

const json = (b: Uint8Array | null | undefined) =>
  JSON.parse(new TextDecoder().decode(b ?? new Uint8Array()));

// Every API test runs twice: in one process (memory Bus and Store) and on real servers (a node on
// NATS + Redis, the SDK connecting over NATS by itself).
for (const where of [
  "an embedded SwarmNode (memory Bus and Store)",
  "a SwarmNode on NATS and Redis",
] as const) {
  describe(`the SDK against ${where}`, () => {
    let env: Awaited<ReturnType<typeof embeddedSwarm>>;
    let bus: Bus;
    let swarm: Swarm;
    let nats: NatsServer | undefined;
    let redis: ServerHandle | undefined;
    const real = where.includes("NATS");

    before(async function () {
      if (!real) return;
      this.timeout(30_000);
      nats = await startNats();
      redis = await startRedis();
    });
    after(async () => {
      await redis?.stop();
      await nats?.stop();
    });
    beforeEach(async () => {
      env = real ? await natsSwarm(nats!, redis!) : await embeddedSwarm();
      ({ bus, swarm } = env);
    });
    afterEach(() => env.stop());

    it("registers an agent, which the registry lists online, and deregisters it on close", async () => {
      const agent = await swarm.agent({
        id: "amr-1",
        kind: "robot",
        capabilities: ["pick"],
        credits: 2,
        position: { x: 1, y: 2 },
      });
      assert.ok(agent.epoch > 0);
      const [info] = await swarm.agents.query({ capabilities: ["pick"] });
      assert.equal(info?.descriptor?.id, "amr-1");
      await agent.close();
      const after = await swarm.agents.query({ status: "online" });
      assert.equal(after.length, 0);
    });

    it("moves the agent in the registry with a pose and counts no drops at a gentle rate", async () => {
      const agent = await swarm.agent({ id: "amr-2", capabilities: ["pick"], position: { x: 0, y: 0 } });
      agent.telemetry("pose", { x: 50, y: 50 }, { conflate: true });
      agent.telemetry("diag", { temp: 41 });
      await waitUntil(
        async () => (await swarm.agents.query({ near: { x: 50, y: 50, radius: 1 } })).length === 1,
        5000,
        "the pose to land",
      );
      const s = agent.telemetryStats();
      assert.equal(s.sent, 2);
      assert.equal(s.queued.dropped + s.conflated.dropped, 0);
    });

    it("answers commands with OK, ERROR with the thrown code, UNKNOWN_COMMAND, and runs a repeated id once", async () => {
      const agent = await swarm.agent({ id: "amr-3" });
      let runs = 0;
      agent.onCommand("dock", async (args) => {
        runs++;
        return { docked: (args as { station: number }).station };
      });
      agent.onCommand("explode", () => {
        throw new (class extends Error {})("boom");
      });
      agent.onCommand("refuse", async () => {
        throw new SwarmError("E_FORBIDDEN", "not now");
      });
      const ok = await swarm.command(
        "amr-3",
        "dock",
        { station: 3 },
        { timeout: 2000, idempotencyKey: "dock-1" },
      );
      assert.equal(ok.state, CommandReceiptState.COMMAND_RECEIPT_STATE_REPLIED);
      assert.equal(ok.reply?.status, CommandStatus.COMMAND_STATUS_OK);
      assert.deepEqual(json(ok.reply?.result), { docked: 3 });
      const again = await swarm.command(
        "amr-3",
        "dock",
        { station: 3 },
        { timeout: 2000, idempotencyKey: "dock-1" },
      );
      assert.equal(again.commandId, ok.commandId);
      assert.equal(runs, 1);
      const refused = await swarm.command("amr-3", "refuse", {}, { timeout: 2000 });
      assert.equal(refused.reply?.status, CommandStatus.COMMAND_STATUS_ERROR);
      assert.equal(refused.reply?.error?.code, "E_FORBIDDEN");
      const crashed = await swarm.command("amr-3", "explode", {}, { timeout: 2000 });
      assert.equal(crashed.reply?.error?.code, "E_INTERNAL");
      const unknown = await swarm.command("amr-3", "fly", {}, { timeout: 2000 });
      assert.equal(unknown.reply?.status, CommandStatus.COMMAND_STATUS_UNKNOWN_COMMAND);
    });

    it("queues a command for an offline agent and delivers it when the agent comes", async () => {
      const r = await swarm.command("amr-4", "ping", { n: 1 }, { timeout: 500, ttl: 20_000 });
      assert.equal(r.state, CommandReceiptState.COMMAND_RECEIPT_STATE_QUEUED);
      const agent = await swarm.agent({ id: "amr-4" });
      agent.onCommand("ping", (a) => a);
      let last: number | undefined;
      for await (const step of swarm.commands.watch(r.commandId)) last = step.state;
      assert.equal(last, CommandReceiptState.COMMAND_RECEIPT_STATE_REPLIED);
    });

    it("runs a task through onTask, with progress, and reports its JSON result", async () => {
      const agent = await swarm.agent({ id: "amr-5", capabilities: ["pick"], credits: 1 });
      const seen: string[] = [];
      agent.onTask("pick", async (task, { progress }) => {
        seen.push(task.id);
        progress(0.5);
        return { bin: 4 };
      });
      const { id } = await swarm.tasks.submit({
        kind: "pick",
        capabilities: ["pick"],
        idempotencyKey: "t-5",
      });
      let info = await swarm.tasks.get(id).catch(() => undefined);
      for await (const i of swarm.tasks.watch(id)) info = i;
      assert.equal(info?.state, TaskState.TASK_STATE_SUCCEEDED);
      assert.deepEqual(json(info?.result), { bin: 4 });
      assert.deepEqual(seen, [id]);
    });

    it("reports FAILED with the handler's error code", async () => {
      const agent = await swarm.agent({ id: "amr-6", capabilities: ["weld"] });
      agent.onTask("weld", () => {
        throw new SwarmError("E_UNAVAILABLE", "torch empty");
      });
      const { id } = await swarm.tasks.submit({ kind: "weld", capabilities: ["weld"], maxAttempts: 1 });
      await waitUntil(
        async () => {
          const i = await swarm.tasks.get(id).catch(() => undefined);
          return i?.error?.code === "E_UNAVAILABLE";
        },
        8000,
        "the failure to be recorded",
      );
    });

    it("aborts the handler's signal on cancel", async () => {
      const agent = await swarm.agent({ id: "amr-7", capabilities: ["pick"] });
      let reason: unknown;
      let started = false;
      agent.onTask("pick", (_t, { signal }) => {
        started = true;
        return new Promise((_, reject) =>
          signal.addEventListener("abort", () => {
            reason = signal.reason;
            reject(reason);
          }),
        );
      });
      const { id } = await swarm.tasks.submit({ kind: "pick", capabilities: ["pick"] });
      await waitUntil(() => started, 5000, "the handler to start");
      await swarm.tasks.cancel(id, "operator");
      await waitUntil(() => reason !== undefined, 5000, "the abort");
      assert.ok(isSwarmError(reason, "E_ABORTED"));
      await waitUntil(() => agent.inFlight === 0, 5000, "the task to end");
    });

    it("aborts the handler's signal at the task's deadline", async () => {
      const agent = await swarm.agent({ id: "amr-8", capabilities: ["pick"] });
      let reason: unknown;
      agent.onTask(
        "pick",
        (_t, { signal }) =>
          new Promise((_, reject) =>
            signal.addEventListener("abort", () => {
              reason = signal.reason;
              reject(reason);
            }),
          ),
      );
      await swarm.tasks.submit({ kind: "pick", capabilities: ["pick"], deadlineMs: Date.now() + 400 });
      await waitUntil(() => reason !== undefined, 5000, "the deadline abort");
      assert.ok(isSwarmError(reason), String(reason));
    });

    it("wins an auction with the lower bid", async () => {
      const cheap = await swarm.agent({ id: "amr-9", capabilities: ["haul"] });
      const dear = await swarm.agent({ id: "amr-10", capabilities: ["haul"] });
      const ran: string[] = [];
      for (const [a, cost] of [
        [cheap, 1],
        [dear, 9],
      ] as const) {
        a.bid("haul", () => cost);
        a.onTask("haul", () => {
          ran.push(a.id);
          return null;
        });
      }
      const { id } = await swarm.tasks.submit({ kind: "haul", capabilities: ["haul"], strategy: "auction" });
      await waitUntil(
        async () =>
          (await swarm.tasks.get(id).catch(() => undefined))?.state === TaskState.TASK_STATE_SUCCEEDED,
        8000,
        "the auctioned task",
      );
      assert.deepEqual(ran, ["amr-9"]);
    });

    it("refuses an older token (E_FENCED) and a task beyond its credits (E_OVERFLOW), and never runs an attempt twice", async () => {
      const agent = await swarm.agent({ id: "amr-11", capabilities: ["solo"], credits: 1, retryMs: 10 });
      let runs = 0;
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      agent.onTask("solo", () => {
        runs++;
        return gate;
      });
      const award = async (taskId: string, attempt: number, fencingToken: number) => {
        const task = { id: taskId, kind: "solo", capabilities: ["solo"] };
        const data = encodeEnvelope(
          wrap(
            "swarmlink.v1.Award",
            { taskId, agentId: "amr-11", fencingToken, coordinatorId: "x", attempt, task },
            { source: "x" },
          ),
        );
        const m = await bus.request(subjects.agentTaskAward("amr-11"), data, { timeout: 2000 });
        return unwrapAs(decodeEnvelope(m.data), "swarmlink.v1.TaskResult");
      };
      const big = 1_000_000_000;
      assert.equal((await award("01HZZZZZZZZZZZZZZZZZZZZZZA", 1, big)).state, TaskState.TASK_STATE_ACCEPTED);
      const again = await award("01HZZZZZZZZZZZZZZZZZZZZZZA", 1, big + 1);
      assert.equal(again.state, TaskState.TASK_STATE_ACCEPTED);
      const busy = await award("01HZZZZZZZZZZZZZZZZZZZZZZB", 1, big + 1);
      assert.equal(busy.state, TaskState.TASK_STATE_REJECTED);
      assert.equal(busy.error?.code, "E_OVERFLOW");
      const old = await award("01HZZZZZZZZZZZZZZZZZZZZZZC", 1, big - 1);
      assert.equal(old.error?.code, "E_FENCED");
      assert.equal(runs, 1);
      assert.equal(agent.refusedAwards.get("E_FENCED"), 1);
      release();
      await waitUntil(() => agent.inFlight === 0, 5000, "the run to end");
    });

    it("yields presence events of agents joining and leaving, in (epoch, seq) order", async () => {
      const ac = new AbortController();
      const events: string[] = [];
      const watching = (async () => {
        try {
          for await (const e of swarm.agents.watch({ signal: ac.signal }))
            events.push(`${e.agentId}:${e.status}`);
        } catch (err) {
          if (!isSwarmError(err, "E_ABORTED")) throw err;
        }
      })();
      await sleep(20);
      const agent = await swarm.agent({ id: "amr-12" });
      await agent.close();
      await waitUntil(() => events.includes("amr-12:offline"), 5000, "the offline event");
      assert.ok(events.indexOf("amr-12:online") < events.indexOf("amr-12:offline"));
      ac.abort();
      await watching;
    });

    it("elects one leader of two agents and hands over on resign", async () => {
      const a = await swarm.agent({ id: "amr-13" });
      const b = await swarm.agent({ id: "amr-14" });
      const la = await a.elect("formation", { leaseMs: 600, renewMs: 150 });
      await la.waitForLeadership();
      const lb = await b.elect("formation", { leaseMs: 600, renewMs: 150 });
      assert.ok(la.isLeader && !lb.isLeader);
      const first = la.token!;
      await la.resign();
      await lb.waitForLeadership();
      assert.ok(lb.token! > first);
    });

    it("re-registers with a new epoch when the registry asks", async () => {
      const agent = await swarm.agent({ id: "amr-15", heartbeatIntervalMs: 100 });
      const first = agent.epoch;
      bus.publish(
        subjects.agentPresence("amr-15"),
        encodeEnvelope(
          wrap(
            "swarmlink.v1.Presence",
            {
              agentId: "amr-15",
              epoch: first,
              status: PresenceStatus.PRESENCE_STATUS_OFFLINE,
              reason: "re-register",
            },
            { source: "n1" },
          ),
        ),
      );
      await waitUntil(() => agent.epoch > first, 5000, "a new epoch");
      assert.equal(agent.reregistrations, 1);
    });

    it("drain lets a running task finish and report before deregistering", async () => {
      const agent = await swarm.agent({ id: "amr-16", capabilities: ["pick"] });
      let started = false;
      agent.onTask("pick", async () => {
        started = true;
        await sleep(200);
        return "done";
      });
      const { id } = await swarm.tasks.submit({ kind: "pick", capabilities: ["pick"] });
      await waitUntil(() => started, 5000, "the start");
      await agent.close();
      assert.equal((await swarm.tasks.get(id)).state, TaskState.TASK_STATE_SUCCEEDED);
    });

    it("rejects bad options with E_CONFIG naming the field", async () => {
      await assert.rejects(connect({ bus, servers: "nats://x" }), (e) => isSwarmError(e, "E_CONFIG"));
      await assert.rejects(
        swarm.agent({ id: "bad id" }),
        (e) => isSwarmError(e, "E_CONFIG") && e.context.field === "id",
      );
      await assert.rejects(
        swarm.agent({ id: "ok", credits: -1 }),
        (e) => isSwarmError(e, "E_CONFIG") && e.context.field === "credits",
      );
      // An inherited property name is no kind (it once read Object.prototype.constructor).
      await assert.rejects(
        swarm.agent({ id: "ok", kind: "constructor" as "robot" }),
        (e) => isSwarmError(e, "E_CONFIG") && e.context.field === "kind",
      );
    });
  });
}
