import assert from "node:assert/strict";
import { SimulatedWorker, SwarmNode, serveHttp } from "@swarmlink/core";
import { MemoryStore } from "@swarmlink/store";
import { MemoryBus } from "@swarmlink/transport";

const waitUntil = async (cond: () => boolean | Promise<boolean>, ms: number, what: string) => {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) assert.fail(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe("serveHttp's JSON control routes (/v1/agents, /v1/tasks, /v1/commands, /v1/leader)", () => {
  it("lists agents, submits, shows and cancels tasks, sends commands and names the leader", async () => {
    const bus = new MemoryBus();
    const store = new MemoryStore();
    const node = await SwarmNode.start({ bus, store, nodeId: "solo", leaseMs: 600, renewMs: 150 });
    const workers = ["a", "b"].map(
      (id, i) =>
        new SimulatedWorker(
          bus,
          {
            id,
            kind: 2,
            capabilities: i === 0 ? ["pick"] : ["lift"],
            credits: 1,
            position: { cartesian: { x: i * 10, y: 0 } },
          },
          { workMs: 5 },
        ),
    );
    const http = await serveHttp(node, { port: 0 });
    const get = async (path: string) => {
      const r = await fetch(http.url + path);
      return { status: r.status, body: (await r.json()) as Record<string, unknown> & unknown[] };
    };
    const post = async (path: string, body: unknown) => {
      const r = await fetch(http.url + path, { method: "POST", body: JSON.stringify(body) });
      return { status: r.status, body: (await r.json()) as Record<string, unknown> };
    };
    try {
      await node.leadership.waitForLeadership();
      for (const w of workers) await w.start();
      await waitUntil(async () => (await get("/v1/agents")).body.length === 2, 5000, "two agents");
      const picks = (await get("/v1/agents?capability=pick")).body as unknown as {
        id: string;
        status: string;
      }[];
      assert.deepEqual(
        picks.map((a) => [a.id, a.status]),
        [["a", "online"]],
      );
      const near = (await get("/v1/agents?near=10,0,1")).body as unknown as { id: string }[];
      assert.deepEqual(
        near.map((a) => a.id),
        ["b"],
      );
      assert.equal((await get("/v1/agents?near=1,2")).status, 400);

      const sub = await post("/v1/tasks", { capability: "pick", payload: { bin: 4 } });
      assert.equal(sub.status, 201);
      const id = sub.body.id as string;
      await waitUntil(
        async () => (await get(`/v1/tasks/${id}`)).body.state === "succeeded",
        5000,
        "the task to succeed",
      );
      const shown = (await get(`/v1/tasks/${id}`)).body;
      assert.equal(shown.assignee, "a");
      assert.equal(shown.attempts, 1);
      assert.ok(((await get("/v1/tasks")).body as unknown as { id: string }[]).some((t) => t.id === id));
      assert.equal((await get("/v1/tasks/01JZZZZZZZZZZZZZZZZZZZZZZZ")).status, 404);
      assert.equal((await post("/v1/tasks/x", {})).status, 404); // not a route: POST on a task

      const cancelled = await post(`/v1/tasks/${id}/cancel`, { reason: "test" });
      assert.equal(cancelled.status, 200);
      assert.equal(cancelled.body.state, "succeeded", "a finished task stays finished");

      const leader = (await get("/v1/leader")).body;
      assert.equal(leader.group, "coordinator");
      assert.equal(leader.holder, "solo");
      assert.ok((leader.token as number) >= 1);
      assert.equal((await get("/v1/leader?group=other")).body.holder, null);

      const cmd = await post("/v1/commands", { agentId: "a", name: "nope", timeoutMs: 2000 });
      assert.equal(cmd.status, 200);
      assert.equal(cmd.body.agentId, "a");
      assert.equal((await post("/v1/commands", { name: "x" })).status, 400);
      const bad = await fetch(`${http.url}/v1/tasks`, { method: "POST", body: "{nope" });
      assert.equal(bad.status, 400);
    } finally {
      await http.close();
      for (const w of workers) w.close();
      await node.stop();
      await store.close();
      await bus.close();
    }
  });
});
