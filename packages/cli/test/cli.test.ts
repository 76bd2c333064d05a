import assert from "node:assert/strict";
import { startNats } from "@swarmlink/harness";
import { FirmwareRobot } from "../src/demo/firmware.js";
import { startUp, swarm, swarmJson, type Up, waitFor } from "./helpers.js";

interface AgentJson {
  id: string;
  kind: string;
  capabilities: string[];
  status: string;
}
interface TaskJson {
  id: string;
  state: string;
  assignee: string;
  attempts: number;
}

describe("the swarm binary", () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
  });
  const robots = async (mqtt: string, ids: string[]) => {
    const rs = ids.map((id, i) => new FirmwareRobot(mqtt, id, { x: i * 10, y: 0 }, 50));
    cleanups.push(() => Promise.all(rs.map((r) => r.stop())));
    await Promise.all(rs.map((r) => r.connected()));
    return rs;
  };
  const up = async (args: string[]): Promise<Up> => {
    const u = await startUp(args);
    cleanups.push(() => u.stop());
    return u;
  };

  it("runs an embedded swarm that lists MQTT robots, takes and shows a task, names its leader, and drains on SIGTERM", async () => {
    const u = await up(["--mqtt-port", "auto", "--http-port", "auto", "--node-id", "cli-test"]);
    const { http, mqtt } = u.endpoints;
    assert.ok(http && mqtt, "both listeners bound");
    await robots(mqtt, ["amr-1", "amr-2"]);
    const server = ["--server", http];
    const list = await waitFor("two agents", 10_000, async () => {
      const a = await swarmJson<AgentJson[]>(["agents", ...server]);
      return a.length === 2 ? a : undefined;
    });
    assert.deepEqual(
      list.map((a) => [a.id, a.kind, a.status, a.capabilities]),
      [
        ["amr-1", "robot", "online", ["move", "lift"]],
        ["amr-2", "robot", "online", ["move", "lift"]],
      ],
    );
    assert.equal((await swarmJson<AgentJson[]>(["agents", "--near", "10,0,1", ...server])).length, 1);

    const { id } = await swarmJson<{ id: string }>([
      "tasks",
      "submit",
      "--capability",
      "lift",
      "--payload",
      '{"bin":4}',
      ...server,
    ]);
    assert.match(id, /^[0-9A-Z]{26}$/);
    const done = await waitFor("the task to succeed", 10_000, async () => {
      const t = await swarmJson<TaskJson>(["tasks", "show", id, ...server]);
      return t.state === "succeeded" ? t : undefined;
    });
    assert.equal(done.id, id);
    assert.ok(["amr-1", "amr-2"].includes(done.assignee));
    assert.equal(done.attempts, 1);
    assert.ok((await swarmJson<TaskJson[]>(["tasks", "ls", ...server])).some((t) => t.id === id));

    const leader = await swarmJson<Record<string, unknown>>(["leader", ...server]);
    assert.deepEqual(Object.keys(leader).sort(), ["group", "holder", "since", "token"]);
    assert.equal(leader.group, "coordinator");
    assert.equal(leader.holder, "cli-test");
    assert.ok(typeof leader.token === "number" && leader.token >= 1);

    const cmd = await swarm(["command", "amr-1", "where", ...server]);
    assert.equal(cmd.code, 0, cmd.stderr);
    assert.match(cmd.stdout, /REPLIED OK \{"x":0,"y":0\}/);
    const human = await swarm(["agents", ...server]);
    assert.match(human.stdout, /^ID\s+KIND\s+STATUS/);

    // `swarm top` shows queues and the gateway's back-pressure beside the node's status.
    const top = await swarmJson<{ gateway: { connected: number; held: number }; tasks: unknown }>([
      "top",
      "--once",
      ...server,
    ]);
    assert.ok(top.gateway.connected >= 2, JSON.stringify(top.gateway));
    assert.equal(typeof top.gateway.held, "number");
    const topText = await swarm(["top", "--once", ...server]);
    assert.match(topText.stdout, /^mqtt\s+devices \d+ \(registered \d+\)\s+PUBACKs held \d+/m);

    const missing = await swarm(["tasks", "show", "01JZZZZZZZZZZZZZZZZZZZZZZZ", ...server]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /E_NOT_FOUND/);

    assert.equal(await u.stop(), 0, u.output());
    assert.match(u.output(), /SIGTERM: draining[\s\S]*stopped/);
  });

  it("answers a bad command line with a message and exit 2, and an unreachable swarm with exit 1", async () => {
    const cases = [
      ["bogus"],
      ["agents", "--bogus"],
      ["agents", "--near", "1,2"],
      ["tasks", "submit"],
      ["tasks", "show"],
      ["tasks", "frobnicate"],
      ["command", "amr-1"],
      ["up", "--http-port", "x"],
      ["up", "--store", "nats-kv"],
      ["agents", "--server", "ftp://x"],
      ["sub", "swarm.>", "--server", "http://127.0.0.1:1"],
    ];
    for (const args of cases) {
      const r = await swarm(args);
      assert.equal(r.code, 2, `swarm ${args.join(" ")} → ${r.code} ${r.stderr}`);
      assert.match(r.stderr, /^swarm: .+\nTry 'swarm( \w+)? --help'\.\n$/, r.stderr);
    }
    const down = await swarm(["agents", "--server", "http://127.0.0.1:1"]);
    assert.equal(down.code, 1);
    assert.match(down.stderr, /E_UNAVAILABLE/);
    const help = await swarm(["tasks", "--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Examples:/);
  });

  it("runs a node over NATS (NATS KV store) whose agents and leader the CLI reads over NATS", async () => {
    const nats = await startNats();
    cleanups.push(() => nats.stop());
    const u = await up([
      "--nats",
      nats.url,
      "--store",
      "nats-kv",
      "--mqtt-port",
      "auto",
      "--http-port",
      "0",
      "--node-id",
      "nats-node",
    ]);
    assert.equal(u.endpoints.http, null, "--http-port 0 disables HTTP");
    await robots(u.endpoints.mqtt!, ["amr-9"]);
    const server = ["--server", nats.url];
    const list = await waitFor("the robot over NATS", 15_000, async () => {
      const a = await swarmJson<AgentJson[]>(["agents", ...server]);
      return a.length === 1 ? a : undefined;
    });
    assert.equal(list[0]!.id, "amr-9");
    const leader = await waitFor("a leader", 10_000, async () => {
      const l = await swarmJson<{ holder: string | null }>(["leader", ...server]);
      return l.holder ? l : undefined;
    });
    assert.equal(leader.holder, "nats-node");
    const { id } = await swarmJson<{ id: string }>(["tasks", "submit", "--capability", "lift", ...server]);
    const t = await waitFor("the task over NATS", 15_000, async () => {
      const v = await swarmJson<TaskJson>(["tasks", "show", id, ...server]);
      return v.state === "succeeded" ? v : undefined;
    });
    assert.equal(t.assignee, "amr-9");
    assert.equal(await u.stop(), 0, u.output());
  });
});
