import assert from "node:assert/strict";
import { SimulatedWorker, SwarmNode, serveHttp, TaskClient } from "@swarmlink/core";
import { TaskState } from "@swarmlink/protocol";
import { MemoryStore } from "@swarmlink/store";
import { MemoryBus } from "@swarmlink/transport";

const waitUntil = async (cond: () => boolean | Promise<boolean>, ms: number, what: string) => {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) assert.fail(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe("SwarmNode (embedded: memory Bus and Store)", () => {
  let bus: MemoryBus;
  let store: MemoryStore;
  const nodes: SwarmNode[] = [];
  const workers: SimulatedWorker[] = [];

  beforeEach(() => {
    bus = new MemoryBus();
    store = new MemoryStore();
  });
  afterEach(async () => {
    for (const w of workers.splice(0)) w.close();
    await Promise.all(nodes.splice(0).map((n) => n.stop()));
    await store.close();
    await bus.close();
  });

  const start = async (nodeId: string) => {
    const node = await SwarmNode.start({ bus, store, nodeId, leaseMs: 600, renewMs: 150 });
    nodes.push(node);
    return node;
  };
  const fleet = async (n: number) => {
    for (let i = 0; i < n; i++) {
      const w = new SimulatedWorker(
        bus,
        { id: `bot-${i}`, kind: 2, capabilities: ["pick"], credits: 2 },
        { workMs: 5 },
      );
      await w.start();
      workers.push(w);
    }
  };
  const submitAll = async (client: TaskClient, n: number, tag: string) => {
    const ids: string[] = [];
    for (let i = 0; i < n; i++)
      ids.push(
        (await client.submit({ kind: "pick", capabilities: ["pick"], idempotencyKey: `${tag}-${i}` })).id,
      );
    return ids;
  };
  const allSucceeded = (client: TaskClient, ids: string[]) => async () =>
    (await Promise.all(ids.map((id) => client.get(id).catch(() => undefined)))).every(
      (t) => t?.state === TaskState.TASK_STATE_SUCCEEDED,
    );

  it("elects exactly one of two nodes, which dispatches tasks to the registered fleet", async () => {
    const [a, b] = [await start("a"), await start("b")];
    await waitUntil(() => a.leadership.isLeader || b.leadership.isLeader, 5000, "a leader");
    assert.ok(!(a.leadership.isLeader && b.leadership.isLeader), "two leaders at once");
    await fleet(3);
    const client = new TaskClient({ bus });
    const ids = await submitAll(client, 30, "one");
    await waitUntil(allSucceeded(client, ids), 15_000, "30 tasks to succeed");
    const runs = workers.flatMap((w) => w.runs.map((r) => r.taskId));
    assert.equal(runs.length, 30, "a task ran twice or not at all");
    assert.equal(new Set(runs).size, 30);
    const leader = a.leadership.isLeader ? a : b;
    assert.equal(leader.dispatcher.stats().finished.SUCCEEDED, 30);
    assert.equal(leader.registry.stats().agents.online, 3);
  });

  it("hands over to the standby when the leader stops, which finishes the work", async () => {
    const [a, b] = [await start("a"), await start("b")];
    await waitUntil(() => a.leadership.isLeader || b.leadership.isLeader, 5000, "a leader");
    await fleet(3);
    const client = new TaskClient({ bus });
    const first = await submitAll(client, 20, "before");
    const [leader, standby] = a.leadership.isLeader ? [a, b] : [b, a];
    await leader.stop();
    await waitUntil(() => standby.leadership.isLeader, 5000, "the standby to lead");
    const second = await submitAll(client, 20, "after");
    await waitUntil(allSucceeded(client, [...first, ...second]), 15_000, "40 tasks to succeed");
    const runs = workers.flatMap((w) => w.runs.map((r) => r.taskId));
    assert.equal(new Set(runs).size, 40);
    assert.equal(runs.length, 40, "a task ran twice across the hand-over");
  });

  it("serves Prometheus metrics, health and status over HTTP", async () => {
    const node = await start("solo");
    await node.leadership.waitForLeadership();
    await fleet(2);
    await waitUntil(() => node.registry.stats().agents.online === 2, 5000, "two agents online");
    const http = await serveHttp(node, { port: 0 });
    try {
      const metrics = await (await fetch(`${http.url}/metrics`)).text();
      assert.match(metrics, /swarm_agents\{state="online",node="solo"\} 2/);
      assert.match(metrics, /swarm_leader\{node="solo"\} 1/);
      const status = (await (await fetch(`${http.url}/v1/status`)).json()) as { leader: { holder: string } };
      assert.equal(status.leader.holder, "solo");
      assert.equal((await fetch(`${http.url}/readyz`)).status, 200);
      assert.equal((await fetch(`${http.url}/nope`)).status, 404);
    } finally {
      await http.close();
    }
  });

  it("refuses options without a Bus or with a bad node id, with E_CONFIG", async () => {
    await assert.rejects(
      SwarmNode.start({ bus, store, nodeId: "bad.id" }),
      (e: { code?: string }) => e.code === "E_CONFIG",
    );
    await assert.rejects(
      SwarmNode.start({ store } as never),
      (e: { code?: string }) => e.code === "E_CONFIG",
    );
  });
});
