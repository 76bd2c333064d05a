import assert from "node:assert/strict";
import { waitUntil } from "../device.js";
import { registerRunAndCommand } from "../scenarios.js";
import { eachSwarm, startMemorySwarm } from "../swarm.js";

describe("MqttGateway listener with a swarm node (memory Bus and Store)", () => {
  const swarm = eachSwarm(() => startMemorySwarm());
  const online = (id: string) => swarm().status(id) === "online";

  it("registers a firmware device, runs a task on it and round-trips a command", async () => {
    await registerRunAndCommand(swarm(), "amr-01");
  });

  it("takes a device offline when its connection dies (last will)", async () => {
    const d = await swarm().device("amr-02", { register: { capabilities: ["lift"] } });
    await waitUntil(() => online("amr-02"), 5000, "amr-02 online");
    d.client.stream.destroy(); // no DISCONNECT: the broker publishes the will
    await waitUntil(() => swarm().status("amr-02") === "offline", 5000, "amr-02 offline");
    assert.equal(swarm().gw.stats().registered, 0);
  });

  it("keeps a device registered when it reconnects with the same client id", async () => {
    await swarm().device("amr-03", { register: { capabilities: ["lift"] } });
    await waitUntil(() => online("amr-03"), 5000, "amr-03 online");
    await swarm().device("amr-03"); // takes over [MQTT-3.1.4-2]
    await new Promise((r) => setTimeout(r, 600));
    assert.ok(online("amr-03"), "a takeover must not deregister the device");
  });
});
