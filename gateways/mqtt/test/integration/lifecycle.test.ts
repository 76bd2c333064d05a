import assert from "node:assert/strict";
import { TaskClient } from "@swarmlink/core";
import { encodeEnvelope, mqttTopics, PresenceStatus, subjects, TaskState, wrap } from "@swarmlink/protocol";
import { waitUntil } from "../device.js";
import { eachSwarm, startMemorySwarm } from "../swarm.js";

describe("MqttGateway carries offers, cancels and re-register requests to firmware", () => {
  const swarm = eachSwarm(() => startMemorySwarm());

  const stateOf = async (tasks: TaskClient, id: string) =>
    (await tasks.get(id).catch(() => undefined))?.state;
  const online = (id: string) => swarm().status(id) === "online";

  it("offers an auction task to a firmware device, which bids and wins it", async () => {
    const d = await swarm().device("amr-20", {
      register: { capabilities: ["lift"] },
      bid: 4.5,
    });
    await waitUntil(() => online("amr-20"), 5000, "amr-20 online");
    const tasks = new TaskClient({ bus: swarm().bus });
    const { id } = await tasks.submit({
      kind: "lift",
      capabilities: ["lift"],
      strategy: "auction",
      idempotencyKey: "a1",
    });
    await waitUntil(
      async () => (await stateOf(tasks, id)) === TaskState.TASK_STATE_SUCCEEDED,
      10_000,
      "auction task done",
    );
    const offer = d.received.find((r) => r.topic === mqttTopics.taskOffer("amr-20"));
    assert.equal(offer?.msg.taskId, id, "the offer reached the device");
    assert.equal((offer?.msg.task as { id?: string } | undefined)?.id, id);
    assert.equal(d.awards.length, 1);
    assert.equal(d.awards[0]?.taskId, id, "its bid won the award");
  });

  it("forwards a cancel of a task the device runs", async () => {
    const d = await swarm().device("amr-21", {
      register: { capabilities: ["lift"] },
      finish: false,
    });
    await waitUntil(() => online("amr-21"), 5000, "amr-21 online");
    const tasks = new TaskClient({ bus: swarm().bus });
    const { id } = await tasks.submit({ kind: "lift", capabilities: ["lift"], idempotencyKey: "c1" });
    await waitUntil(() => d.awards.length === 1, 10_000, "the award");
    await tasks.cancel(id, "operator said stop");
    await waitUntil(
      () => d.received.some((r) => r.topic === mqttTopics.taskCancel("amr-21")),
      5000,
      "the cancel at the device",
    );
    const cancel = d.received.find((r) => r.topic === mqttTopics.taskCancel("amr-21"));
    assert.deepEqual(cancel?.msg, { taskId: id, reason: "operator said stop" });
  });

  it("registers the device again, with a new epoch, when the registry asks it to", async () => {
    await swarm().device("amr-22", { register: { capabilities: ["lift"] } });
    await waitUntil(() => online("amr-22"), 5000, "amr-22 online");
    const before = swarm().node.registry.directory.get("amr-22")?.epoch ?? 0;
    const ask = wrap(
      "swarmlink.v1.Presence",
      {
        agentId: "amr-22",
        status: PresenceStatus.PRESENCE_STATUS_OFFLINE,
        epoch: before,
        reason: "re-register",
      },
      { source: "registry" },
    );
    swarm().bus.publish(subjects.agentPresence("amr-22"), encodeEnvelope(ask));
    await waitUntil(
      () => (swarm().node.registry.directory.get("amr-22")?.epoch ?? 0) > before && online("amr-22"),
      5000,
      "a new epoch",
    );
    assert.equal(swarm().gw.stats().registered, 1);
  });
});
