import assert from "node:assert/strict";
import { SwarmNode } from "@swarmlink/core";
import {
  decodeEnvelope,
  encodeEnvelope,
  mqttFilters,
  mqttTopics,
  subjectPatterns,
  subjects,
  unwrapAs,
  wrap,
} from "@swarmlink/protocol";
import { MemoryStore } from "@swarmlink/store";
import { MemoryBus } from "@swarmlink/transport";
import { MqttGateway, type MqttGatewayOptions } from "../../src/mod.js";
import { connectDevice, type TestDevice, waitUntil } from "../device.js";
import { type RefusingBus, refusingBus } from "../refusing-bus.js";
import { stubRegistry } from "../stub-registry.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("MqttGateway back-pressure (real sockets)", () => {
  let inner: MemoryBus;
  let rb: RefusingBus;
  let gw: MqttGateway;
  const devices: TestDevice[] = [];
  const start = async (o: Partial<MqttGatewayOptions> = {}) => {
    gw = await MqttGateway.start({ bus: rb.bus, port: 0, heartbeatIntervalMs: 200, ...o });
  };

  beforeEach(() => {
    inner = new MemoryBus();
    rb = refusingBus(inner);
  });
  afterEach(async () => {
    await Promise.all(devices.splice(0).map((d) => d.close()));
    await gw?.close();
    await inner.close();
  });

  it("delays the PUBACKs of a client publishing faster than its bucket, holding at most a read batch", async () => {
    const rate = 1000;
    const burst = 10;
    const n = 2000;
    await start({ ratePerSec: rate, burst });
    let bids = 0;
    const sub = inner.subscribe(subjectPatterns.taskBids, { callback: () => bids++ });
    const d = await connectDevice(gw.port, "fast-01", { serve: false });
    devices.push(d);
    const pad = "x".repeat(150);
    const t0 = performance.now();
    const acked: number[] = [];
    await Promise.all(
      Array.from({ length: n }, (_, i) =>
        d.client
          .publishAsync(mqttTopics.taskBid("fast-01", `t${i}`), JSON.stringify({ cost: i, pad }), { qos: 1 })
          .then(() => acked.push(performance.now() - t0)),
      ),
    );
    const elapsed = performance.now() - t0;
    const s = gw.stats();
    console.log(
      `      ${n} QoS1 at ${rate}/s burst ${burst}: all PUBACKed in ${elapsed.toFixed(0)} ms; ` +
        `PUBACK #${burst} at ${acked[burst - 1]?.toFixed(0)} ms, #${n / 2} at ${acked[n / 2 - 1]?.toFixed(0)} ms; ` +
        `held high water ${s.heldHighWater}; rate-held ${s.refused.rate}`,
    );
    assert.ok(elapsed >= ((n - burst) / rate) * 1000 * 0.9, `PUBACKs paced by the bucket (${elapsed} ms)`);
    assert.ok(
      (acked[n / 2 - 1] ?? 0) >= ((n / 2 - burst) / rate) * 1000 * 0.9,
      "the middle PUBACK waited for its token",
    );
    assert.ok(
      s.heldHighWater < n / 2,
      `held publishes bounded by a read batch, not the flood (${s.heldHighWater})`,
    );
    assert.equal(s.held, 0);
    await waitUntil(() => bids === n, 5000, "every bid on the Bus");
    sub.unsubscribe();
  });

  it("withholds PUBACKs while the Bus refuses, releases them after, and every PUBACKed status and register reaches the Bus", async () => {
    const store = new MemoryStore();
    const node = await SwarmNode.start({ bus: inner, store, nodeId: "n1", leaseMs: 600, renewMs: 150 });
    try {
      await start({ busRetryMs: 20, maxPendingReports: 2, busRequestTimeoutMs: 500 });
      await waitUntil(() => node.leadership.isLeader, 5000, "a leader");
      const seen = { status: new Set<string>(), bids: new Set<string>() };
      const subs = [
        inner.subscribe(subjectPatterns.taskStatus, {
          callback: (_e, m) => {
            const taskId = m.subject.split(".").at(-2) as string;
            seen.status.add(taskId);
            m.respond(
              encodeEnvelope(wrap("swarmlink.v1.TaskInfo", { task: { id: taskId } }, { source: "test" })),
            );
          },
        }),
        inner.subscribe(subjectPatterns.taskBids, {
          callback: (_e, m) => seen.bids.add(m.subject.split(".").at(-2) as string),
        }),
      ];
      const d = await connectDevice(gw.port, "amr-10", { serve: false });
      devices.push(d);
      rb.refusing = true;
      const tOff = performance.now() + 400;
      const pubacks: Array<{ what: string; at: number }> = [];
      const pub = (what: string, topic: string, body: object) =>
        d.client
          .publishAsync(topic, JSON.stringify(body), { qos: 1 })
          .then(() => pubacks.push({ what, at: performance.now() }));
      const all = [
        pub("register", mqttTopics.register("amr-10"), { capabilities: ["lift"] }),
        ...[1, 2, 3, 4, 5].map((i) =>
          pub(`status t${i}`, mqttTopics.taskStatus("amr-10", `t${i}`), { state: "progress" }),
        ),
        ...[1, 2, 3].map((i) => pub(`bid b${i}`, mqttTopics.taskBid("amr-10", `b${i}`), { cost: i })),
      ];
      await sleep(400);
      const early = pubacks.map((p) => p.what);
      const factor = gw.stats().rateFactor;
      rb.refusing = false;
      await Promise.all(all);
      console.log(
        `      PUBACKed while refusing: [${early.join(", ")}]; Bus refusals ${rb.refusals}; bus-pressure ${gw.stats().refused["bus-pressure"]}`,
      );
      assert.ok(!early.includes("register"), "the register PUBACK waits for the Bus");
      assert.ok(!early.some((w) => w.startsWith("bid")), "bid PUBACKs wait for the Bus");
      assert.ok(
        early.filter((w) => w.startsWith("status")).length <= 2,
        "at most the outbox's 2 statuses are PUBACKed",
      );
      assert.ok(factor < 1, `device rates cut while the Bus pushes back (share ${factor})`);
      assert.ok(rb.refusals > 0 && (gw.stats().refused["bus-pressure"] ?? 0) > 0);
      assert.ok(pubacks.every((p) => early.includes(p.what) || p.at >= tOff - 50));
      await waitUntil(
        () => seen.status.size === 5 && seen.bids.size === 3,
        5000,
        "every PUBACKed status and bid on the Bus",
      );
      await waitUntil(
        () => node.registry.directory.get("amr-10")?.status === "online",
        5000,
        "amr-10 registered",
      );
      for (const s of subs) s.unsubscribe();
    } finally {
      await gw.close();
      await node.stop();
      await store.close();
    }
  });

  it("drops, never PUBACKs, a publish held by the Bus when its device disconnects, and counts it", async () => {
    await start({ busRetryMs: 20 });
    const d = await connectDevice(gw.port, "amr-12", { serve: false });
    rb.refusing = true;
    d.client.publish(mqttTopics.taskBid("amr-12", "t1"), JSON.stringify({ cost: 1 }), { qos: 1 });
    await waitUntil(() => (gw.stats().refused["bus-pressure"] ?? 0) > 0, 5000, "the bid held");
    d.client.stream.destroy();
    await waitUntil(() => gw.stats().refused["bus-pressure-gone"] === 1, 5000, "the held bid dropped");
    await d.close();
    assert.equal(gw.stats().refused["bad-payload"], undefined);
    assert.equal(gw.stats().held, 0);
  });

  it("still reports a PUBACKed status once the Bus takes it, though its device has left", async () => {
    await start({ busRetryMs: 20, statusRetryMs: 20, busRequestTimeoutMs: 300 });
    const seen: string[] = [];
    const sub = inner.subscribe(subjectPatterns.taskStatus, {
      callback: (_e, m) => {
        seen.push(m.subject);
        m.respond(encodeEnvelope(wrap("swarmlink.v1.TaskInfo", { task: { id: "t9" } }, { source: "test" })));
      },
    });
    const d = await connectDevice(gw.port, "amr-13", { serve: false });
    rb.refusing = true;
    await d.client.publishAsync(
      mqttTopics.taskStatus("amr-13", "t9"),
      JSON.stringify({ state: "succeeded" }),
      {
        qos: 1,
      },
    ); // PUBACKed: the outbox has room
    await d.close();
    await waitUntil(() => gw.stats().connected === 0, 5000, "the device gone");
    await sleep(100);
    rb.refusing = false;
    await waitUntil(() => seen.length === 1, 5000, "the status on the Bus");
    assert.equal(gw.stats().refused["report-dropped"], undefined);
    sub.unsubscribe();
  });

  it("conflates a telemetry flood while the Bus refuses and delivers the newest value", async () => {
    await start({ ratePerSec: 1_000_000, burst: 100_000, busRetryMs: 20 });
    const got: number[] = [];
    const sub = inner.subscribe(subjects.agentTelemetry("amr-11", "pose"), {
      callback: (_e, m) =>
        got.push(
          unwrapAs(decodeEnvelope(m.data), "swarmlink.v1.Telemetry").pose?.position?.cartesian?.x ?? -1,
        ),
    });
    const d = await connectDevice(gw.port, "amr-11", { serve: false });
    devices.push(d);
    rb.refusing = true;
    const n = 1000;
    for (let i = 0; i < n; i++)
      d.client.publish(mqttTopics.telemetry("amr-11", "pose"), JSON.stringify({ x: i, y: 0 }), { qos: 0 });
    await waitUntil(
      () => gw.stats().telemetryPublished + (gw.stats().refused.conflated ?? 0) >= n - 1 || false,
      5000,
      "samples in",
    ).catch(() => {});
    await sleep(200);
    rb.refusing = false;
    await waitUntil(() => got.at(-1) === n - 1, 5000, "the newest pose on the Bus");
    const s = gw.stats();
    console.log(
      `      ${n} pose samples while refusing: ${got.length} on the Bus, conflated ${s.refused.conflated}, held ${s.held}`,
    );
    assert.ok(got.length < 10, `conflated, not queued (${got.length} delivered)`);
    assert.ok((s.refused.conflated ?? 0) >= n - 10);
    sub.unsubscribe();
  });

  for (const variant of [
    {
      name: "its unsent bytes pass maxOutboundBytes",
      o: { maxOutboundBytes: 64 * 1024, drainTimeoutMs: 60_000 },
    },
    {
      name: "its socket does not drain within drainTimeoutMs",
      o: { maxOutboundBytes: 512 * 1024 * 1024, drainTimeoutMs: 300 },
    },
  ]) {
    it(`disconnects a device that stops reading when ${variant.name}`, async () => {
      await start(variant.o);
      const registry = stubRegistry(inner); // cancels reach registered devices only
      const d = await connectDevice(gw.port, "slow-01", { serve: false, register: { capabilities: [] } });
      devices.push(d);
      await d.client.subscribeAsync(mqttFilters.toAgent("slow-01"), { qos: 1 });
      const closed = new Promise<void>((r) => d.client.stream.once("close", () => r()));
      d.client.stream.pause(); // the device stops reading what the gateway sends
      const other = await connectDevice(gw.port, "ok-01", { serve: false });
      devices.push(other);
      const reason = "r".repeat(16 * 1024);
      let sent = 0;
      while (gw.stats().refused["slow-subscriber"] === undefined && sent < 4000) {
        inner.publish(
          subjects.agentTaskCancel("slow-01"),
          encodeEnvelope(wrap("swarmlink.v1.TaskCancel", { taskId: `t${sent}`, reason }, { source: "test" })),
        );
        sent++;
        if (sent % 50 === 0) await sleep(5);
      }
      await waitUntil(() => (gw.stats().refused["slow-subscriber"] ?? 0) >= 1, 10_000, "slow subscriber cut");
      d.client.stream.resume(); // reads the end of the stream the gateway closed
      await closed;
      console.log(`      cut after ${sent} × 16 KiB cancels (${variant.name})`);
      assert.ok(other.client.connected, "other devices unaffected");
      await waitUntil(() => gw.stats().connected === 1, 5000, "only the other device left");
      for (const s of registry) s.unsubscribe();
    });
  }
});
