import assert from "node:assert/strict";
import {
  decodeEnvelope,
  encodeEnvelope,
  isSwarmError,
  mqttTopics,
  type PayloadInit,
  PresenceStatus,
  subjects,
  TaskState,
  ulid,
  unwrapAs,
  wrap,
} from "@swarmlink/protocol";
import { type TestDevice, waitUntil } from "../device.js";
import { eachSwarm, startMemorySwarm } from "../swarm.js";

const envelope = <K extends Parameters<typeof wrap>[0]>(type: K, payload: PayloadInit<K>) =>
  encodeEnvelope(wrap(type, payload, { source: "test" }));

describe("MqttGateway routes what the swarm sends to the device it is for", () => {
  const swarm = eachSwarm(() => startMemorySwarm());
  const online = (id: string) => swarm().status(id) === "online";
  const device = async (id: string, register = true) => {
    const d = await swarm().device(id, register ? { register: { capabilities: ["lift"] } } : {});
    if (register) await waitUntil(() => online(id), 5000, `${id} online`);
    return d;
  };
  const command = (agentId: string, name = "echo", timeout = 2000) =>
    swarm()
      .bus.request(
        subjects.agentCommand(agentId, name),
        envelope("swarmlink.v1.Command", { id: ulid(), agentId, name, args: Buffer.from('"hi"') }),
        { timeout },
      )
      .then((m) => unwrapAs(decodeEnvelope(m.data), "swarmlink.v1.CommandReply"));
  const award = (agentId: string, taskId: string, fencingToken: number, timeout = 2000) =>
    swarm()
      .bus.request(
        subjects.agentTaskAward(agentId),
        envelope("swarmlink.v1.Award", { taskId, agentId, fencingToken, attempt: 1, task: { id: taskId } }),
        { timeout },
      )
      .then((m) => unwrapAs(decodeEnvelope(m.data), "swarmlink.v1.TaskResult"));
  const topicsOf = (d: TestDevice) => d.received.map((r) => r.topic);

  it("gives each device its own offers, cancels, awards and commands, and none of another's", async () => {
    const a = await device("rt-a");
    const b = await device("rt-b");
    swarm().bus.publish(
      subjects.agentTaskOffer("rt-a"),
      envelope("swarmlink.v1.TaskOffer", { task: { id: "t-offer" } }),
    );
    swarm().bus.publish(
      subjects.agentTaskCancel("rt-b"),
      envelope("swarmlink.v1.TaskCancel", { taskId: "t-cancel", reason: "stop" }),
    );
    assert.equal((await command("rt-b")).agentId, "rt-b");
    assert.equal((await award("rt-a", "t-award", 1)).state, TaskState.TASK_STATE_ACCEPTED);
    await waitUntil(() => a.received.length >= 2 && b.received.length >= 2, 5000, "the four messages");
    assert.deepEqual(topicsOf(a).sort(), [mqttTopics.taskAward("rt-a"), mqttTopics.taskOffer("rt-a")]);
    assert.deepEqual(topicsOf(b).sort(), [mqttTopics.command("rt-b", "echo"), mqttTopics.taskCancel("rt-b")]);
  });

  it("keeps the fencing tokens a device has seen: an award with an older one is refused E_FENCED", async () => {
    await device("rt-f");
    assert.equal((await award("rt-f", "t-new", 7)).state, TaskState.TASK_STATE_ACCEPTED);
    const stale = await award("rt-f", "t-old", 3);
    assert.equal(stale.state, TaskState.TASK_STATE_REJECTED);
    assert.equal(stale.error?.code, "E_FENCED");
  });

  it("serves a device only while it is registered: E_NO_RESPONDERS for commands before and after, no offers before", async () => {
    const d = await device("rt-c", false);
    await assert.rejects(command("rt-c"), (e) => isSwarmError(e, "E_NO_RESPONDERS"));
    await d.client.publishAsync(mqttTopics.telemetry("rt-c", "battery"), '{"percent":80}', { qos: 1 });
    swarm().bus.publish(
      subjects.agentTaskOffer("rt-c"),
      envelope("swarmlink.v1.TaskOffer", { task: { id: "t-early" } }),
    );
    await d.client.publishAsync(mqttTopics.register("rt-c"), JSON.stringify({ capabilities: [] }), {
      qos: 1,
    });
    assert.equal((await command("rt-c")).agentId, "rt-c");
    assert.deepEqual(topicsOf(d), [mqttTopics.command("rt-c", "echo")], "no offer before it registered");
    await d.close();
    await waitUntil(() => swarm().gw.stats().connected === 0, 5000, "rt-c gone");
    await assert.rejects(command("rt-c"), (e) => isSwarmError(e, "E_NO_RESPONDERS"));
  });

  it("drops offers, cancels, presence and awards for agents it does not serve, sending nothing", async () => {
    const here = await device("rt-h");
    const sent = swarm().gw.stats().sentToDevices;
    swarm().bus.publish(
      subjects.agentTaskOffer("rt-elsewhere"),
      envelope("swarmlink.v1.TaskOffer", { task: { id: "t1" } }),
    );
    swarm().bus.publish(
      subjects.agentTaskCancel("rt-elsewhere"),
      envelope("swarmlink.v1.TaskCancel", { taskId: "t1", reason: "x" }),
    );
    swarm().bus.publish(
      subjects.agentPresence("rt-elsewhere"),
      envelope("swarmlink.v1.Presence", {
        agentId: "rt-elsewhere",
        status: PresenceStatus.PRESENCE_STATUS_OFFLINE,
        reason: "re-register",
      }),
    );
    // the fleet-wide route takes it, and nobody here answers: the dispatcher's accept timeout fails it
    await assert.rejects(award("rt-elsewhere", "t1", 1, 300), (e) => isSwarmError(e, "E_TIMEOUT"));
    assert.equal(swarm().gw.stats().sentToDevices, sent);
    assert.deepEqual(here.received, []);
    assert.ok(!swarm().node.registry.directory.get("rt-elsewhere"), "no one registered for it");
  });

  it("moves a device's route to its new connection when it reconnects with the same client id", async () => {
    const first = await device("rt-r");
    const second = await swarm().device("rt-r"); // takes over [MQTT-3.1.4-2]
    await waitUntil(() => !first.client.connected, 5000, "the first connection closed");
    assert.equal((await command("rt-r")).agentId, "rt-r", "answered through the new connection");
    swarm().bus.publish(
      subjects.agentTaskOffer("rt-r"),
      envelope("swarmlink.v1.TaskOffer", { task: { id: "t-r" } }),
    );
    await waitUntil(() => second.received.length === 2, 5000, "command and offer on the new connection");
    assert.deepEqual(topicsOf(first), []);
    assert.ok(online("rt-r"), "still registered: a takeover is not a departure");
  });
});
