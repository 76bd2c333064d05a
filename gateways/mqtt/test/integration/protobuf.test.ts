import assert from "node:assert/strict";
import { CommandClient, TaskClient } from "@swarmlink/core";
import {
  AgentKind,
  CommandStatus,
  decodeEnvelope,
  decodePayload,
  encodePayload,
  mqttFilters,
  mqttTopics,
  subjects,
  TaskState,
  unwrapAs,
} from "@swarmlink/protocol";
import mqtt from "mqtt";
import { waitUntil } from "../device.js";
import { eachSwarm, startMemorySwarm } from "../swarm.js";

const pb = mqttTopics.protobuf;

describe("MqttGateway with protobuf payloads (topics ending in /pb)", () => {
  const swarm = eachSwarm(() => startMemorySwarm());
  /** A plain mqtt.js device, closed with the swarm. */
  const device = async (clientId: string) => {
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${swarm().gw.port}`, {
      clientId,
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    swarm().defer(() => c.endAsync(true));
    return c;
  };

  it("registers, streams a pose, runs a task and answers a command, all in protobuf both ways", async () => {
    const id = "pb-01";
    const c = await device(id);
    const { bus, node } = swarm();
    const heard: string[] = [];
    await c.subscribeAsync(mqttFilters.agentTree(id), { qos: 1 });
    c.on("message", (topic, payload) => {
      heard.push(topic);
      if (topic === pb(mqttTopics.taskAward(id))) {
        const award = decodePayload("swarmlink.v1.Award", payload);
        for (const state of [TaskState.TASK_STATE_ACCEPTED, TaskState.TASK_STATE_SUCCEEDED]) {
          const r = encodePayload("swarmlink.v1.TaskResult", {
            taskId: "ignored",
            state,
            attempt: award.attempt,
          });
          void c.publishAsync(pb(mqttTopics.taskStatus(id, award.taskId)), Buffer.from(r), { qos: 1 });
        }
      } else if (topic === pb(mqttTopics.command(id, "echo"))) {
        const cmd = decodePayload("swarmlink.v1.Command", payload);
        const reply = encodePayload("swarmlink.v1.CommandReply", {
          id: cmd.id,
          agentId: "someone-else", // overwritten with the topic's id
          status: CommandStatus.COMMAND_STATUS_OK,
          result: cmd.args,
        });
        void c.publishAsync(pb(mqttTopics.commandReply(id, "echo")), Buffer.from(reply), { qos: 1 });
      }
    });
    const descriptor = encodePayload("swarmlink.v1.AgentDescriptor", {
      id: "spoofed-id",
      kind: AgentKind.AGENT_KIND_ROBOT,
      capabilities: ["lift"],
      credits: 1,
    });
    await c.publishAsync(pb(mqttTopics.register(id)), Buffer.from(descriptor), { qos: 1 });
    await waitUntil(() => node.registry.directory.get(id)?.status === "online", 5000, `${id} online`);
    assert.equal(node.registry.directory.get("spoofed-id"), undefined, "the id comes from the topic");

    const poses: number[] = [];
    const sub = bus.subscribe(subjects.agentTelemetry(id, "pose"), {
      callback: (_e, m) =>
        poses.push(
          unwrapAs(decodeEnvelope(m.data), "swarmlink.v1.Telemetry").pose?.position?.cartesian?.x ?? -1,
        ),
    });
    const pose = encodePayload("swarmlink.v1.Telemetry", {
      pose: { position: { cartesian: { x: 7, y: 8 } } },
    });
    await c.publishAsync(pb(mqttTopics.telemetry(id, "pose")), Buffer.from(pose), { qos: 0 });
    await waitUntil(() => poses.includes(7), 5000, "the pose on the Bus");
    sub.unsubscribe();

    const tasks = new TaskClient({ bus });
    const task = await tasks.submit({ kind: "lift", capabilities: ["lift"], idempotencyKey: "pb-t1" });
    await waitUntil(
      async () => (await tasks.get(task.id).catch(() => undefined))?.state === TaskState.TASK_STATE_SUCCEEDED,
      10_000,
      "task succeeded",
    );
    const receipt = await new CommandClient({ bus }).send(id, "echo", { speed: 3 });
    assert.equal(receipt.reply?.status, CommandStatus.COMMAND_STATUS_OK);
    assert.deepEqual(JSON.parse(Buffer.from(receipt.reply?.result ?? []).toString()), { speed: 3 });
    assert.ok(
      heard.includes(pb(mqttTopics.taskAward(id))) && heard.includes(pb(mqttTopics.command(id, "echo"))),
    );
    assert.ok(!heard.includes(mqttTopics.taskAward(id)), "no JSON copy for a protobuf device");
  });

  it("acknowledges and drops protobuf that does not decode or has a wrong state, counting it", async () => {
    const id = "pb-02";
    const client = await device(id);
    const { gw } = swarm();
    await client.publishAsync(pb(mqttTopics.taskBid(id, "t1")), Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]), {
      qos: 1,
    });
    const bad = encodePayload("swarmlink.v1.TaskResult", { state: TaskState.TASK_STATE_QUEUED });
    await client.publishAsync(pb(mqttTopics.taskStatus(id, "t1")), Buffer.from(bad), { qos: 1 });
    const s = gw.stats();
    assert.equal(s.refused["bad-protobuf"], 1);
    assert.equal(s.refused["bad-payload"], 1);
    assert.ok(client.connected);
  });
});
