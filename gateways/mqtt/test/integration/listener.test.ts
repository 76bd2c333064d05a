import assert from "node:assert/strict";
import { CommandClient, type SwarmNode, TaskClient } from "@swarmlink/core";
import { CommandReceiptState, CommandStatus, TaskState } from "@swarmlink/protocol";
import type { MemoryBus } from "@swarmlink/transport";
import type { MqttGateway } from "../../src/mod.js";
import { connectDevice, type TestDevice, waitUntil } from "../device.js";
import { type MemorySwarm, startMemorySwarm } from "../swarm.js";

describe("MqttGateway listener with a swarm node (memory Bus and Store)", () => {
  let bus: MemoryBus;
  let node: SwarmNode;
  let gw: MqttGateway;
  let swarm: MemorySwarm;
  const devices: TestDevice[] = [];

  beforeEach(async () => {
    swarm = await startMemorySwarm();
    ({ bus, node, gw } = swarm);
  });
  afterEach(async () => {
    await Promise.all(devices.splice(0).map((d) => d.close()));
    await swarm.close();
  });

  const online = (id: string) => node.registry.directory.get(id)?.status === "online";

  it("registers a firmware device, runs a task on it and round-trips a command", async () => {
    const d = await connectDevice(gw.port, "amr-01", {
      register: { kind: "robot", capabilities: ["lift"], position: { x: 1, y: 2 }, credits: 1 },
    });
    devices.push(d);
    await waitUntil(() => online("amr-01"), 5000, "amr-01 online");
    assert.deepEqual(
      node.registry.directory.query({ capabilities: ["lift"] }).map((a) => a.id),
      ["amr-01"],
    );

    const tasks = new TaskClient({ bus });
    const { id } = await tasks.submit({ kind: "lift", capabilities: ["lift"], idempotencyKey: "t-1" });
    await waitUntil(
      async () => (await tasks.get(id).catch(() => undefined))?.state === TaskState.TASK_STATE_SUCCEEDED,
      10_000,
      "task succeeded",
    );
    assert.equal(d.awards.length, 1);
    assert.ok(Number(d.awards[0]?.fencingToken) >= 1, "the award carries the fencing token");

    const commands = new CommandClient({ bus });
    const receipt = await commands.send("amr-01", "echo", { speed: 3 });
    assert.equal(receipt.state, CommandReceiptState.COMMAND_RECEIPT_STATE_REPLIED);
    assert.equal(receipt.reply?.status, CommandStatus.COMMAND_STATUS_OK);
    assert.deepEqual(JSON.parse(Buffer.from(receipt.reply?.result ?? []).toString()), { speed: 3 });
    const unknown = await commands.send("amr-01", "fly");
    assert.equal(unknown.reply?.status, CommandStatus.COMMAND_STATUS_UNKNOWN_COMMAND);
  });

  it("takes a device offline when its connection dies (last will)", async () => {
    const d = await connectDevice(gw.port, "amr-02", { register: { capabilities: ["lift"] } });
    devices.push(d);
    await waitUntil(() => online("amr-02"), 5000, "amr-02 online");
    d.client.stream.destroy(); // no DISCONNECT: the broker publishes the will
    await waitUntil(
      () => node.registry.directory.get("amr-02")?.status === "offline",
      5000,
      "amr-02 offline",
    );
    assert.equal(gw.stats().registered, 0);
  });

  it("keeps a device registered when it reconnects with the same client id", async () => {
    const a = await connectDevice(gw.port, "amr-03", { register: { capabilities: ["lift"] } });
    devices.push(a);
    await waitUntil(() => online("amr-03"), 5000, "amr-03 online");
    const b = await connectDevice(gw.port, "amr-03", {}); // takes over [MQTT-3.1.4-2]
    devices.push(b);
    await new Promise((r) => setTimeout(r, 600));
    assert.ok(online("amr-03"), "a takeover must not deregister the device");
  });
});
