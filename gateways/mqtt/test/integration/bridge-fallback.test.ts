import assert from "node:assert/strict";
import net from "node:net";
import { isSwarmError } from "@swarmlink/protocol";
import { MemoryBus } from "@swarmlink/transport";
import { Aedes } from "aedes";
import { MqttBridge } from "../../src/bridge/mod.js";

describe("MqttBridge against a broker that only speaks MQTT 3.1.1 (plain aedes)", () => {
  let aedes: Aedes;
  let server: net.Server;
  let url: string;
  let bus: MemoryBus;

  beforeEach(async () => {
    aedes = await Aedes.createBroker();
    server = net.createServer((s) => aedes.handle(s));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    url = `mqtt://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    bus = new MemoryBus();
  });
  afterEach(async () => {
    await new Promise<void>((r) => aedes.close(() => r()));
    await new Promise<void>((r) => server.close(() => r()));
    await bus.close();
  });

  it("falls back from MQTT 5 to 3.1.1 when the broker refuses 5", async () => {
    const bridge = await MqttBridge.start({ bus, url });
    try {
      assert.equal(bridge.stats().protocolVersion, 4);
      assert.equal(bridge.stats().brokerConnected, true);
    } finally {
      await bridge.close();
    }
  });

  it("fails with E_UNAVAILABLE when MQTT 5 is demanded of it, and when nothing listens", async () => {
    await assert.rejects(MqttBridge.start({ bus, url, protocolVersion: 5, connectTimeoutMs: 2000 }), (e) =>
      isSwarmError(e, "E_UNAVAILABLE"),
    );
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", () => r()));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    await assert.rejects(MqttBridge.start({ bus, url: `mqtt://127.0.0.1:${port}` }), (e) =>
      isSwarmError(e, "E_UNAVAILABLE"),
    );
  });
});
