import assert from "node:assert/strict";
import { CommandClient, SwarmNode, TaskClient } from "@swarmlink/core";
import { type NatsServer, type ServerHandle, startNats, startRedis } from "@swarmlink/harness";
import { CommandStatus, TaskState } from "@swarmlink/protocol";
import { RedisStore } from "@swarmlink/store";
import { NatsBus } from "@swarmlink/transport";
import { MqttGateway } from "../../src/mod.js";
import { connectDevice, type TestDevice, waitUntil } from "../device.js";

describe("MqttGateway end to end on real NATS and Redis", () => {
  let nats: NatsServer;
  let redis: ServerHandle;
  let nodeBus: NatsBus;
  let gwBus: NatsBus;
  let store: RedisStore;
  let node: SwarmNode;
  let gw: MqttGateway;
  let device: TestDevice | undefined;

  before(async () => {
    [nats, redis] = await Promise.all([startNats(), startRedis()]);
  });
  after(async () => {
    await Promise.all([nats?.stop(), redis?.stop()]);
  });
  beforeEach(async () => {
    nodeBus = await NatsBus.connect({ servers: nats.url });
    gwBus = await NatsBus.connect({ servers: nats.url, name: "gateway" });
    store = await RedisStore.connect({ url: redis.url, namespace: `mqtt${Date.now()}` });
    node = await SwarmNode.start({ bus: nodeBus, store, nodeId: "n1", leaseMs: 600, renewMs: 150 });
    gw = await MqttGateway.start({ bus: gwBus, port: 0, heartbeatIntervalMs: 200 });
    await waitUntil(() => node.leadership.isLeader, 10_000, "the node to lead");
  });
  afterEach(async () => {
    await device?.close();
    device = undefined;
    await gw.close();
    await node.stop();
    await store.close();
    await Promise.all([gwBus.close(), nodeBus.close()]);
  });

  it("registers a firmware device, runs a task on it and round-trips a command over NATS, state in Redis", async () => {
    device = await connectDevice(gw.port, "amr-30", { register: { capabilities: ["weld"], credits: 1 } });
    await waitUntil(
      () => node.registry.directory.get("amr-30")?.status === "online",
      10_000,
      "amr-30 online",
    );
    const client = await NatsBus.connect({ servers: nats.url, name: "caller" });
    try {
      const tasks = new TaskClient({ bus: client });
      const { id } = await tasks.submit({ kind: "weld", capabilities: ["weld"], idempotencyKey: "w-1" });
      await waitUntil(
        async () => (await tasks.get(id).catch(() => undefined))?.state === TaskState.TASK_STATE_SUCCEEDED,
        15_000,
        "task succeeded",
      );
      assert.equal(device.awards[0]?.taskId, id);
      const t0 = performance.now();
      const receipt = await new CommandClient({ bus: client }).send("amr-30", "echo", { arc: 1 });
      const ms = performance.now() - t0;
      console.log(`      command round trip caller → NATS → gateway → device → back: ${ms.toFixed(1)} ms`);
      assert.equal(receipt.reply?.status, CommandStatus.COMMAND_STATUS_OK);
      assert.deepEqual(JSON.parse(Buffer.from(receipt.reply?.result ?? []).toString()), { arc: 1 });
      assert.ok((await store.keys("")).length > 0, "the swarm's state is in Redis");
    } finally {
      await client.close();
    }
  });
});
