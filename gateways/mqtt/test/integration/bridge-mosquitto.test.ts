import assert from "node:assert/strict";
import { CommandClient, TaskClient } from "@swarmlink/core";
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
import mqtt from "mqtt";
import { startFleet } from "../../../../examples/firmware-sim/sim.js";
import { MqttBridge } from "../../src/bridge/mod.js";
import { waitUntil } from "../device.js";
import { registerRunAndCommand } from "../scenarios.js";
import { eachSwarm, startBridgeSwarm } from "../swarm.js";

type Broker = Awaited<ReturnType<typeof startMosquitto>>;

describe("MqttBridge on a private Mosquitto with a swarm node (memory Bus and Store)", function () {
  this.timeout(60_000);
  let broker: Broker;

  before(async () => {
    broker = await startMosquitto();
  });
  after(async () => {
    await broker.stop();
  });
  const swarm = eachSwarm(() => startBridgeSwarm(broker.url, broker.port));
  const status = (id: string) => swarm().status(id);
  /** An MQTT 5 device on the broker, closed with the swarm. */
  const mqtt5 = async (clientId: string) => {
    const client = await mqtt.connectAsync(broker.url, { clientId, protocolVersion: 5 });
    swarm().defer(() => client.endAsync(true));
    (client.stream as unknown as { setNoDelay(on: boolean): void }).setNoDelay(true);
    return client;
  };

  it("speaks MQTT 5 with Mosquitto and refuses a bad url with E_CONFIG", async () => {
    assert.equal(swarm().bridge.stats().protocolVersion, 5);
    assert.equal(swarm().bridge.stats().brokerConnected, true);
    await assert.rejects(
      MqttBridge.start({ bus: swarm().bus, url: "http://x" }),
      (e) => isSwarmError(e, "E_CONFIG") && e.context.field === "url",
    );
  });

  it("registers a 3.1.1 device, runs a task on it, round-trips a command, and its last will takes it offline", async () => {
    const d = await registerRunAndCommand(swarm(), "br-01");
    d.client.stream.destroy(); // no DISCONNECT: Mosquitto publishes the will
    await waitUntil(() => status("br-01") === "offline", 5000, "br-01 offline");
    assert.equal(swarm().bridge.stats().registered, 0);
    assert.ok(
      swarm().bridge.stats().delivered >= 5,
      "register, statuses and replies went through the bridge",
    );
  });

  it("lets an MQTT 5 device answer a command on the response topic with only the correlation data", async () => {
    const client = await mqtt5("br-05");
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
    const receipt = await new CommandClient({ bus: swarm().bus }).send("br-05", "dock", {});
    assert.equal(receipt.reply?.status, CommandStatus.COMMAND_STATUS_OK);
    assert.equal(JSON.parse(Buffer.from(receipt.reply?.result ?? []).toString()), "docked");
  });

  it("bridges protobuf payloads on /pb topics, and on plain topics an MQTT 5 content type marks as protobuf", async () => {
    const client = await mqtt5("br-pb");
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
    assert.deepEqual(swarm().node.registry.directory.get("br-pb")?.capabilities, ["pb"]);
    const receipt = await new CommandClient({ bus: swarm().bus }).send("br-pb", "dock", {});
    assert.equal(receipt.reply?.status, CommandStatus.COMMAND_STATUS_OK);
    const cmd = heard.find((h) => h.topic.includes("/cmd/dock"));
    assert.equal(cmd?.topic, "swarm/br-pb/cmd/dock/pb", "the device registered in protobuf hears protobuf");
    assert.equal(cmd?.contentType, "application/x-protobuf");
  });

  it("reconnects after the broker restarts, and the simulated robots are back in the swarm", async () => {
    const fleet = await startFleet({ url: broker.url, robots: 3, prefix: "rs", workMs: 20 });
    try {
      const ids = ["rs-1", "rs-2", "rs-3"];
      const allOnline = () => ids.every((id) => status(id) === "online");
      await waitUntil(allOnline, 5000, "3 robots online");
      await broker.restart();
      await waitUntil(
        () => swarm().bridge.stats().reconnects >= 1 && swarm().bridge.stats().brokerConnected,
        15_000,
        "a reconnect",
      );
      await waitUntil(allOnline, 15_000, "3 robots online again");
      const tasks = new TaskClient({ bus: swarm().bus });
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
