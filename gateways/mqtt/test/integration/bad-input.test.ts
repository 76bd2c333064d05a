import assert from "node:assert/strict";
import net from "node:net";
import { mqttTopics } from "@swarmlink/protocol";
import { MqttGateway } from "../../src/mod.js";
import { connectDevice, waitUntil } from "../device.js";
import { eachSwarm, startMemorySwarm } from "../swarm.js";

/** Writes raw bytes to the gateway and resolves when the gateway closes the socket. */
const rawClosed = (port: number, bytes: Buffer) =>
  new Promise<void>((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1", () => s.write(bytes));
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`socket not closed after ${bytes.subarray(0, 8).toString("hex")}`));
    }, 5000);
    s.on("error", () => {});
    s.on("close", () => {
      clearTimeout(timer);
      resolve();
    });
  });

const connectFrame = (protocol: string, clientId: string) => {
  const body = Buffer.concat([
    Buffer.from([0, protocol.length]),
    Buffer.from(protocol),
    Buffer.from([4, 2, 0, 60, 0, clientId.length]),
    Buffer.from(clientId),
  ]);
  return Buffer.concat([Buffer.from([0x10, body.length]), body]);
};

describe("MqttGateway under bad input", () => {
  const swarm = eachSwarm(() => startMemorySwarm({ maxPacketBytes: 4096 }));

  const wellBehaved = async (id: string) => {
    await swarm().device(id, { register: { capabilities: ["lift"] } });
    await waitUntil(() => swarm().status(id) === "online", 5000, `${id} online`);
  };

  it("closes connections that send malformed frames, counts them, and keeps serving others", async () => {
    const bystander = await swarm().device("bystander", { register: {} });
    const { gw } = swarm();
    await rawClosed(gw.port, connectFrame("MQTX", "bad-proto")); // bad protocol name [MQTT-3.1.2-1]
    const connect = connectFrame("MQTT", "raw-1");
    // a PUBLISH whose Remaining Length runs over four bytes [MQTT-2.2.3]
    await rawClosed(gw.port, Buffer.concat([connect, Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x7f])]));
    await rawClosed(gw.port, Buffer.from([0x00, 0x13, 0x37, 0xde, 0xad, 0xbe, 0xef, 0x00])); // reserved packet type 0
    await rawClosed(gw.port, Buffer.from([0x10, 0x80, 0x80, 0x40])); // a 1 MiB CONNECT
    const refused = gw.stats().refused;
    assert.ok((refused.malformed ?? 0) >= 3, `malformed: ${JSON.stringify(refused)}`);
    assert.equal(refused.oversize, 1);
    assert.ok(bystander.client.connected, "another client was disconnected");
    await wellBehaved("after-garbage");
  });

  it("acknowledges and drops bad JSON, wrong types and unknown topics; cuts spoofing clients", async () => {
    const d = await swarm().device("sloppy");
    const { gw, node } = swarm();
    await d.client.publishAsync(mqttTopics.register("sloppy"), "{not json", { qos: 1 });
    await d.client.publishAsync(mqttTopics.register("sloppy"), JSON.stringify({ credits: "many" }), {
      qos: 1,
    });
    await d.client.publishAsync(mqttTopics.telemetry("sloppy", "pose"), JSON.stringify({ x: "left" }), {
      qos: 1,
    });
    await d.client.publishAsync("swarm/sloppy/what/ever", "{}", { qos: 1 });
    // a subscription outside the device's tree: SUBACK 0x80, which mqtt.js turns into an error
    await assert.rejects(d.client.subscribeAsync("swarm/other/#", { qos: 1 }), /Subscribe error/);
    assert.ok(d.client.connected, "bad payloads must not cost the connection");
    const s = gw.stats().refused;
    assert.equal(s["bad-json"], 1);
    assert.equal(s["bad-payload"], 2);
    assert.equal(s["unknown-topic"], 1);
    assert.equal(s.spoof, 1);

    const closed = new Promise<void>((r) => d.client.stream.once("close", () => r()));
    d.client.publish(mqttTopics.register("victim"), JSON.stringify({}), { qos: 1 });
    await closed;
    assert.equal(gw.stats().refused.spoof, 2);
    assert.equal(node.registry.directory.get("victim"), undefined);
    await wellBehaved("honest");
  });

  it("refuses bad credentials, bad client ids and too many connections per credential", async () => {
    const gw = await MqttGateway.start({
      bus: swarm().bus,
      port: 0,
      authenticate: (_id, user, pass) => user === "fleet" && pass === "s3cret",
    });
    swarm().defer(() => gw.close());
    await assert.rejects(
      connectDevice(gw.port, "intruder", { username: "fleet", password: "guess" }),
      /Bad username or password/i,
    );
    await assert.rejects(
      connectDevice(gw.port, "bad.id", { username: "fleet", password: "s3cret" }),
      /Identifier rejected/i,
    );
    const fleet = await connectDevice(gw.port, "amr-1", { username: "fleet", password: "s3cret" });
    swarm().defer(() => fleet.close());
    await assert.rejects(
      connectDevice(gw.port, "amr-2", { username: "fleet", password: "s3cret" }),
      /Not authorized/i,
    );
    const s = gw.stats().refused;
    assert.deepEqual([s.auth, s["client-id"], s["credential-limit"]], [1, 1, 1]);
  });
});
