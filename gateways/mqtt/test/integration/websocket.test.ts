import assert from "node:assert/strict";
import { mqttTopics } from "@swarmlink/protocol";
import mqtt from "mqtt";
import WebSocket from "ws";
import { waitUntil } from "../device.js";
import { eachSwarm, startMemorySwarm } from "../swarm.js";

describe("MqttGateway listener over WebSocket", () => {
  const swarm = eachSwarm(() => startMemorySwarm({ websocket: { port: 0 }, maxPacketBytes: 1024 }));

  it("registers a device connecting with ws://, alongside TCP", async () => {
    assert.ok(swarm().gw.wsPort && swarm().gw.wsPort !== swarm().gw.port);
    const c = await mqtt.connectAsync(`ws://127.0.0.1:${swarm().gw.wsPort}/mqtt`, {
      clientId: "ws-01",
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    swarm().defer(() => c.endAsync(true));
    await c.publishAsync(mqttTopics.register("ws-01"), JSON.stringify({ capabilities: ["scan"] }), {
      qos: 1,
    });
    await waitUntil(
      () => swarm().node.registry.directory.get("ws-01")?.status === "online",
      5000,
      "ws-01 online",
    );
  });

  it("cuts a WebSocket client that sends an oversize or malformed frame", async () => {
    for (const [bytes, counter] of [
      [Buffer.from([0x10, 0xff, 0xff, 0x03]), "oversize"], // CONNECT of ~64 KiB announced
      [Buffer.from([0x30, 0x00]), "malformed"], // PUBLISH before CONNECT
    ] as const) {
      const ws = new WebSocket(`ws://127.0.0.1:${swarm().gw.wsPort}/`, "mqtt");
      await new Promise<void>((resolve, reject) => {
        ws.once("open", () => ws.send(bytes));
        ws.once("close", () => resolve());
        ws.once("error", reject);
      });
      assert.ok((swarm().gw.stats().refused[counter] ?? 0) >= 1, counter);
    }
  });
});
