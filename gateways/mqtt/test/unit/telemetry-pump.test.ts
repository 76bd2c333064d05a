import assert from "node:assert/strict";
import { SwarmError, systemClock } from "@swarmlink/protocol";
import { type Bus, MemoryBus } from "@swarmlink/transport";
import { until } from "@swarmlink/transport/testing";
import { SILENT_GATEWAY_LOGGER } from "../../src/log.js";
import { StatsCounter } from "../../src/stats.js";
import { TelemetryPump } from "../../src/telemetry-pump.js";

const sample = (seq: number) => ({
  agentId: "amr-1",
  stream: "pose",
  json: new TextEncoder().encode(String(seq)),
});

describe("TelemetryPump", () => {
  let bus: MemoryBus;
  beforeEach(() => {
    bus = new MemoryBus();
  });
  afterEach(() => bus.close());

  const pumpOn = (target: Bus, stats = new StatsCounter()) =>
    new TelemetryPump(
      { bus: target, clock: systemClock, log: SILENT_GATEWAY_LOGGER, retryMs: 20, capacity: 16 },
      stats,
    );

  it("publishes every sample while the Bus keeps up, however fast they come", async () => {
    let got = 0;
    bus.subscribe("swarm.v1.agents.amr-1.telemetry.pose", { callback: () => got++ });
    const stats = new StatsCounter();
    const pump = pumpOn(bus, stats);
    for (let i = 0; i < 1000; i++) assert.equal(pump.offer(sample(i)), true);
    await until(() => got === 1000, 5000, "1000 samples at the subscriber");
    assert.equal(stats.telemetryPublished, 1000);
    pump.close();
  });

  it("conflates while the Bus pushes back, and delivers the newest once it takes again", async () => {
    let refusing = true;
    const seen: string[] = [];
    bus.subscribe("swarm.v1.agents.amr-1.telemetry.pose", { callback: () => seen.push("x") });
    const flaky: Bus = Object.create(bus, {
      publish: {
        value: (subject: string, data?: Uint8Array) => {
          if (refusing) throw new SwarmError("E_OVERFLOW", "busy");
          bus.publish(subject, data);
        },
      },
    });
    const stats = new StatsCounter();
    const pump = pumpOn(flaky, stats);
    pump.offer(sample(0));
    for (let i = 1; i < 100; i++) pump.offer(sample(i));
    assert.equal(pump.size, 1, "one key held, conflated");
    refusing = false;
    await until(() => seen.length === 1 && pump.size === 0, 5000, "the newest sample delivered");
    assert.equal(stats.telemetryPublished, 1);
    pump.close();
  });
});
