import assert from "node:assert/strict";
import { type NatsServer, startNats } from "@swarmlink/harness";
import { NatsBus } from "@swarmlink/transport";
import { bytes, rejectsWith, take, until } from "@swarmlink/transport/testing";

describe("NatsBus across a server restart", () => {
  let server: NatsServer;
  let bus: NatsBus;

  before(async () => {
    server = await startNats();
  });
  after(async () => {
    await bus?.close();
    await server?.stop();
  });

  it("bounds what it buffers while disconnected with E_OVERFLOW, and delivers the rest after reconnect", async () => {
    bus = await NatsBus.connect({
      servers: server.url,
      maxDisconnectedBytes: 2048,
      reconnectTimeWaitMs: 100,
    });
    const sub = bus.subscribe("t.reconnect");
    await bus.flush();
    const statuses: string[] = [];
    void (async () => {
      for await (const s of bus.nc.status()) statuses.push(s.type);
    })();

    assert.equal(bus.connected, true);
    await server.kill();
    await until(() => statuses.includes("disconnect"), 10_000, "the client to notice");
    await until(() => !bus.connected, 1000, "connected to turn false");

    // 10 × (16 B + subject + overhead) fits in 2 KiB; a 4 KiB payload does not.
    for (let i = 0; i < 10; i++) bus.publish("t.reconnect", bytes(`m${i}`.padEnd(16, ".")));
    await rejectsWith(() => bus.publish("t.reconnect", new Uint8Array(4096)), "E_OVERFLOW");
    assert.equal(bus.overflows, 1);

    await server.restart();
    await until(() => statuses.includes("reconnect"), 15_000, "the client to reconnect");
    await until(() => bus.connected, 1000, "connected to turn true again");
    const got = await take(sub, 10, 10_000);
    assert.deepEqual(
      got.map((s) => s.replace(/\.+$/, "")),
      [...Array(10).keys()].map((i) => `m${i}`),
    );
    // Once reconnected the budget is whole again.
    bus.publish("t.reconnect", new Uint8Array(4096));
  });
});
