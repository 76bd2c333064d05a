import assert from "node:assert/strict";
import { type NatsServer, type ServerHandle, startNats, startRedis } from "@swarmlink/harness";
import { subjectPatterns } from "@swarmlink/protocol";
import { NatsBus } from "@swarmlink/transport";
import { SimulatedWorker } from "../../src/sim/mod.js";
import { TaskClient } from "../../src/tasks/mod.js";
import { awardsIn, currentLeader, NodeProcess } from "./failover-helpers.js";

const LEASE_MS = 1000;
const RENEW_MS = 250;
const TASKS = 200;
const AGENTS = 6;

interface AwardSeen {
  atMs: number;
  token: number;
  taskId: string;
}

for (const storeKind of ["redis", "nats-kv"] as const) {
  describe(`coordinator failover across three processes (NATS + ${storeKind})`, function () {
    this.timeout(120_000);
    let nats: NatsServer;
    let redis: ServerHandle | undefined;
    let bus: NatsBus;
    const nodes: NodeProcess[] = [];
    const workers: SimulatedWorker[] = [];

    before(async () => {
      nats = await startNats();
      if (storeKind === "redis") redis = await startRedis();
      bus = await NatsBus.connect({ servers: nats.url, name: "failover-test" });
    });

    after(async () => {
      for (const w of workers) w.close();
      await Promise.all(nodes.map((n) => n.stop()));
      await bus?.close();
      await redis?.stop();
      await nats?.stop();
    });

    it("loses no acknowledged task, runs none twice, and refuses every stale award when the leader is killed and its successor paused", async () => {
      const store = storeKind === "redis" ? redis!.url : "nats-kv";
      for (const id of ["n1", "n2", "n3"])
        nodes.push(new NodeProcess(id, nats.url, store, LEASE_MS, RENEW_MS));
      await Promise.all(nodes.map((n) => n.waitFor((e) => e.event === "started")));
      const first = await currentLeader(nodes);

      // Every award that crosses the Bus, as agents receive them.
      const awards: AwardSeen[] = [];
      const tap = bus.subscribe(subjectPatterns.agentTasks, {
        callback: (_e, m) => {
          for (const a of awardsIn(m.subject, m.data)) {
            awards.push({ atMs: Date.now(), token: a.fencingToken, taskId: a.taskId });
          }
        },
      });
      for (let i = 0; i < AGENTS; i++) {
        const w = new SimulatedWorker(
          bus,
          { id: `amr-${i}`, kind: 1, capabilities: ["pick"], credits: 2 },
          { workMs: 40, heartbeatIntervalMs: 300 },
        );
        await w.start();
        workers.push(w);
      }

      const client = new TaskClient({ bus });
      const acked: string[] = [];
      const submitting = (async () => {
        for (let i = 0; i < TASKS; i++) {
          const { id } = await client.submit({
            kind: "pick",
            capabilities: ["pick"],
            idempotencyKey: `job-${i}`,
          });
          acked.push(id);
          if (i % 10 === 9) await new Promise((r) => setTimeout(r, 250));
        }
      })();

      // Kill the leader mid-run.
      await new Promise((r) => setTimeout(r, 800));
      const killedAt = Date.now();
      first.signal("SIGKILL");
      const second = await currentLeader(nodes, first, 10_000);
      const secondLead = await second.waitFor((e) => e.event === "leader" && e.atMs >= killedAt);
      await waitUntil(
        () => awards.some((a) => a.atMs > secondLead.atMs),
        10_000,
        "an award from the new leader",
      );
      const firstAwardAfter = awards.find((a) => a.atMs > killedAt && a.token > (secondLead.token ?? 0) - 1)!;

      // Pause the new leader past its lease, let a third take over, then wake it up.
      await new Promise((r) => setTimeout(r, 600));
      second.signal("SIGSTOP");
      const pausedAt = Date.now();
      const third = await currentLeader(
        nodes.filter((n) => n !== first && n !== second),
        undefined,
        10_000,
      );
      await new Promise((r) => setTimeout(r, Math.max(0, LEASE_MS * 2.5 - (Date.now() - pausedAt))));
      second.signal("SIGCONT");
      await second.waitFor((e) => e.event === "follower" && e.atMs >= pausedAt, 10_000);

      await submitting;
      await waitUntil(
        async () => {
          const infos = await Promise.all(acked.map((id) => client.get(id).catch(() => undefined)));
          return infos.every((t) => t?.state === 4 /* TASK_STATE_SUCCEEDED */);
        },
        60_000,
        "every acknowledged task to succeed",
      );
      tap.unsubscribe();

      // No acknowledged task lost: every one succeeded (checked above), and each ran exactly once.
      assert.equal(acked.length, TASKS);
      const runs = new Map<string, number>();
      for (const w of workers) for (const r of w.runs) runs.set(r.taskId, (runs.get(r.taskId) ?? 0) + 1);
      assert.equal(runs.size, TASKS, "a task never ran");
      const twice = [...runs].filter(([, n]) => n > 1);
      const detail = twice.map(([id]) =>
        workers.flatMap((w) => w.runs.filter((r) => r.taskId === id).map((r) => ({ agent: w.id, ...r }))),
      );
      assert.deepEqual(twice, [], `tasks ran more than once: ${JSON.stringify(detail)}`);

      // Every award older than a token its agent had already seen was refused, never run.
      const refused = workers.flatMap((w) => w.refused);
      for (const w of workers) {
        let highest = 0;
        for (const r of w.runs) {
          assert.ok(r.token >= highest, `${w.id} ran an award of token ${r.token} after seeing ${highest}`);
          highest = r.token;
        }
      }
      const tokens = new Set(awards.map((a) => a.token));
      assert.ok(tokens.size >= 2, `expected awards from at least two terms, saw tokens ${[...tokens]}`);

      const failoverMs = secondLead.atMs - killedAt;
      const allocatingMs = firstAwardAfter.atMs - killedAt;
      console.log(
        `      failover (${storeKind}): new leader ${failoverMs} ms after SIGKILL, allocating after ${allocatingMs} ms; ` +
          `paused leader replaced by ${third.nodeId}; stale awards refused: ${refused.length}`,
      );
      assert.ok(failoverMs <= LEASE_MS + RENEW_MS + 1500, `failover took ${failoverMs} ms`);
    });
  });
}

async function waitUntil(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
