import assert from "node:assert/strict";
import { CommandClient, SwarmNode, TaskClient } from "@swarmlink/core";
import { startMosquitto } from "@swarmlink/harness";
import {
  CommandStatus,
  decodePayload,
  encodePayload,
  isSwarmError,
  mqttFilters,
  mqttTopics,
  TaskState,
} from "@swarmlink/protocol";
import { MemoryStore } from "@swarmlink/store";
import { MemoryBus } from "@swarmlink/transport";
import mqtt from "mqtt";
import { startFleet } from "../../../../examples/firmware-sim/sim.js";
import { MqttBridge } from "../../src/bridge/mod.js";
import { connectDevice, type TestDevice, waitUntil } from "../device.js";

type Broker = Awaited<ReturnType<typeof startMosquitto>>;

describe("MqttBridge on a private Mosquitto with a swarm node (memory Bus and Store)", function () {
  this.timeout(60_000);
  let broker: Broker;
  let bus: MemoryBus;
  let store: MemoryStore;
  let node: SwarmNode;
  let bridge: MqttBridge;
  const devices: TestDevice[] = [];

  before(async () => {
    broker = await startMosquitto();
  });
  after(async () => {
    await broker.stop();
  });
  beforeEach(async () => {
    bus = new MemoryBus();
    store = new MemoryStore();
    node = await SwarmNode.start({ bus, store, nodeId: "n1", leaseMs: 600, renewMs: 150 });
    bridge = await MqttBridge.start({ bus, url: broker.url, heartbeatIntervalMs: 200, reconnectMs: 200 });
    await waitUntil(() => node.leadership.isLeader, 5000, "a leader");
  });
  afterEach(async () => {
    await Promise.all(devices.splice(0).map((d) => d.close()));
    await bridge.close();
    await node.stop();
    await store.close();
    await bus.close();
  });

  const status = (id: string) => node.registry.directory.get(id)?.status;

  it("speaks MQTT 5 with Mosquitto and refuses a bad url with E_CONFIG", async () => {
    assert.equal(bridge.stats().protocolVersion, 5);
    assert.equal(bridge.stats().brokerConnected, true);
    await assert.rejects(
      MqttBridge.start({ bus, url: "http://x" }),
      (e) => isSwarmError(e, "E_CONFIG") && e.context.field === "url",
    );
  });

  it("registers a 3.1.1 device, runs a task on it, round-trips a command, and its last will takes it offline", async () => {
    const d = await connectDevice(broker.port, "br-01", {
      register: { kind: "robot", capabilities: ["lift"], position: { x: 1, y: 2 }, credits: 1 },
    });
    devices.push(d);
    await waitUntil(() => status("br-01") === "online", 5000, "br-01 online");

    const tasks = new TaskClient({ bus });
    const { id } = await tasks.submit({ kind: "lift", capabilities: ["lift"], idempotencyKey: "br-t-1" });
    await waitUntil(
      async () => (await tasks.get(id).catch(() => undefined))?.state === TaskState.TASK_STATE_SUCCEEDED,
      10_000,
      "task succeeded",
    );
    assert.equal(d.awards.length, 1);
    assert.ok(Number(d.awards[0]?.fencingToken) >= 1, "the award carries the fencing token");

    const commands = new CommandClient({ bus });
    const receipt = await commands.send("br-01", "echo", { speed: 3 });
    assert.equal(receipt.reply?.status, CommandStatus.COMMAND_STATUS_OK);
    assert.deepEqual(JSON.parse(Buffer.from(receipt.reply?.result ?? []).toString()), { speed: 3 });
    const unknown = await commands.send("br-01", "fly");
    assert.equal(unknown.reply?.status, CommandStatus.COMMAND_STATUS_UNKNOWN_COMMAND);

    d.client.stream.destroy(); // no DISCONNECT: Mosquitto publishes the will
    await waitUntil(() => status("br-01") === "offline", 5000, "br-01 offline");
    assert.equal(bridge.stats().registered, 0);
    assert.ok(bridge.stats().delivered >= 5, "register, statuses and replies went through the bridge");
  });

  it("lets an MQTT 5 device answer a command on the response topic with only the correlation data", async () => {
    const client = await mqtt.connectAsync(broker.url, { clientId: "br-05", protocolVersion: 5 });
    try {
      client.stream.setNoDelay(true);
      client.on("message", (_topic, _payload, packet) => {
        const p = packet.properties;
        assert.ok(p?.responseTopic && p.correlationData, "the command carries MQTT 5 properties");
        client.publish(p.responseTopic, JSON.stringify({ ok: true, result: "docked" }), {
          qos: 1,
          properties: { correlationData: p.correlationData },
        });
      });
      await client.subscribeAsync(mqttTopics.command("br-05", "dock"), { qos: 1 });
      await client.publishAsync(mqttTopics.register("br-05"), JSON.stringify({ capabilities: [] }), {
        qos: 1,
      });
      await waitUntil(() => status("br-05") === "online", 5000, "br-05 online");
      const receipt = await new CommandClient({ bus }).send("br-05", "dock", {});
      assert.equal(receipt.reply?.status, CommandStatus.COMMAND_STATUS_OK);
      assert.equal(JSON.parse(Buffer.from(receipt.reply?.result ?? []).toString()), "docked");
    } finally {
      await client.endAsync(true);
    }
  });

  it("bridges protobuf payloads on /pb topics, and on plain topics an MQTT 5 content type marks as protobuf", async () => {
    const client = await mqtt.connectAsync(broker.url, { clientId: "br-pb", protocolVersion: 5 });
    try {
      client.stream.setNoDelay(true);
      const heard: { topic: string; contentType?: string }[] = [];
      client.on("message", (topic, payload, packet) => {
        heard.push({ topic, contentType: packet.properties?.contentType });
        if (topic !== mqttTopics.protobuf(mqttTopics.command("br-pb", "dock"))) return;
        const cmd = decodePayload("swarmlink.v1.Command", payload);
        const reply = encodePayload("swarmlink.v1.CommandReply", {
          id: cmd.id,
          status: CommandStatus.COMMAND_STATUS_OK,
        });
        client.publish(mqttTopics.protobuf(mqttTopics.commandReply("br-pb", "dock")), Buffer.from(reply), {
          qos: 1,
        });
      });
      await client.subscribeAsync(mqttFilters.agentTree("br-pb"), { qos: 1 });
      const descriptor = encodePayload("swarmlink.v1.AgentDescriptor", { id: "x", capabilities: ["pb"] });
      // a plain register topic, protobuf by its MQTT 5 content type
      await client.publishAsync(mqttTopics.register("br-pb"), Buffer.from(descriptor), {
        qos: 1,
        properties: { contentType: "application/x-protobuf" },
      });
      await waitUntil(() => status("br-pb") === "online", 5000, "br-pb online");
      assert.deepEqual(node.registry.directory.get("br-pb")?.capabilities, ["pb"]);
      const receipt = await new CommandClient({ bus }).send("br-pb", "dock", {});
      assert.equal(receipt.reply?.status, CommandStatus.COMMAND_STATUS_OK);
      const cmd = heard.find((h) => h.topic.includes("/cmd/dock"));
      assert.equal(cmd?.topic, "swarm/br-pb/cmd/dock/pb", "the device registered in protobuf hears protobuf");
      assert.equal(cmd?.contentType, "application/x-protobuf");
    } finally {
      await client.endAsync(true);
    }
  });

  it("reconnects after the broker restarts, and the simulated robots are back in the swarm", async () => {
    const fleet = await startFleet({ url: broker.url, robots: 3, prefix: "rs", workMs: 20 });
    try {
      const ids = ["rs-1", "rs-2", "rs-3"];
      const allOnline = () => ids.every((id) => status(id) === "online");
      await waitUntil(allOnline, 5000, "3 robots online");
      await broker.restart();
      await waitUntil(
        () => bridge.stats().reconnects >= 1 && bridge.stats().brokerConnected,
        15_000,
        "a reconnect",
      );
      await waitUntil(allOnline, 15_000, "3 robots online again");
      const tasks = new TaskClient({ bus });
      const { id } = await tasks.submit({ kind: "lift", capabilities: ["lift"], idempotencyKey: "rs-t-1" });
      await waitUntil(
        async () => (await tasks.get(id).catch(() => undefined))?.state === TaskState.TASK_STATE_SUCCEEDED,
        10_000,
        "a task succeeded after the restart",
      );
      assert.ok(
        fleet.robots.every((r) => r.counts.connects >= 2),
        "every robot reconnected",
      );
      const robot = fleet.robots[0];
      assert.ok(robot);
      robot.client.stream.destroy(); // its retained will takes it offline (it reconnects after 500 ms)
      await waitUntil(() => status("rs-1") === "offline", 2000, "rs-1 offline by its retained will");
    } finally {
      await fleet.stop();
    }
  });
});
