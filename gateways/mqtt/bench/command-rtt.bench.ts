/**
 * Command round trip swarm → device → reply over QoS 1, p50/p99 over ROUNDS sequential commands
 * (after WARMUP), the device a simulated robot (examples/firmware-sim) in its own process answering
 * `echo`:
 * - listener: a Bus request (a `Command` Envelope on `agents.{id}.cmd.echo`, MemoryBus with a
 *   SwarmNode, since a device is served commands once registered) through `MqttGateway` to the
 *   device and back; baseline: the same device on plain aedes, asked by a raw
 *   mqtt.js client (publish `swarm/{id}/cmd/echo` QoS 1, wait for `…/reply` QoS 1);
 * - bridge: the same Bus request through `MqttBridge` and a private Mosquitto (MQTT 5); baseline:
 *   the raw mqtt.js requester on the same Mosquitto.
 * Every socket has no-delay set (Nagle + delayed ACK: ~88 ms per QoS 1 round trip otherwise).
 */
import net from "node:net";
import { SwarmNode } from "@swarmlink/core";
import { startMosquitto } from "@swarmlink/harness";
import {
  CommandStatus,
  decodeEnvelope,
  encodeEnvelope,
  subjects,
  ulid,
  unwrapAs,
  wrap,
} from "@swarmlink/protocol";
import { MemoryStore } from "@swarmlink/store";
import { type Bus, MemoryBus } from "@swarmlink/transport";
import { Aedes } from "aedes";
import mqtt from "mqtt";
import { MqttBridge, MqttGateway } from "../src/mod.js";
import { benchChild, latency, MOSQUITTO_CONFIG, percentile, type Row } from "./lib.js";

const SUITE = "mqtt-command";
const ROUNDS = 2000;
const WARMUP = 200;
const ARGS = new TextEncoder().encode('{"speed":1.5}');

/** ms of each of `n` round trips made one after the other by `once`. */
async function timed(n: number, once: () => Promise<void>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await once();
    out.push(performance.now() - t0);
  }
  return out;
}

function busCommand(bus: Bus, agentId: string): () => Promise<void> {
  return async () => {
    const id = ulid();
    const env = wrap("swarmlink.v1.Command", { id, agentId, name: "echo", args: ARGS }, { source: "bench" });
    const msg = await bus.request(subjects.agentCommand(agentId, "echo"), encodeEnvelope(env), {
      timeout: 5000,
    });
    const reply = unwrapAs(decodeEnvelope(msg.data), "swarmlink.v1.CommandReply");
    if (reply.status !== CommandStatus.COMMAND_STATUS_OK)
      throw new Error(`command ${id}: status ${reply.status}`);
  };
}

async function rawRequester(
  url: string,
  agentId: string,
): Promise<{ once: () => Promise<void>; close: () => Promise<void> }> {
  const c = await mqtt.connectAsync(url, {
    clientId: `bench-req-${ulid()}`,
    protocolVersion: 4,
    reconnectPeriod: 0,
  });
  (c.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
  const waiting = new Map<string, () => void>();
  c.on("message", (_t, payload) => {
    const id = (JSON.parse(payload.toString()) as { id: string }).id;
    waiting.get(id)?.();
    waiting.delete(id);
  });
  await c.subscribeAsync(`swarm/${agentId}/cmd/echo/reply`, { qos: 1 });
  return {
    once: () =>
      new Promise<void>((resolve, reject) => {
        const id = ulid();
        const timer = setTimeout(() => reject(new Error(`raw command ${id}: no reply in 5 s`)), 5000);
        waiting.set(id, () => {
          clearTimeout(timer);
          resolve();
        });
        c.publish(`swarm/${agentId}/cmd/echo`, JSON.stringify({ id, args: { speed: 1.5 } }), { qos: 1 });
      }),
    close: () => c.endAsync(true),
  };
}

/** p50 and p99 of `once` with a device on `url`, once `registered()` (the gateway's modes). */
async function measure(
  url: string,
  agentId: string,
  version: 4 | 5,
  once: () => Promise<void>,
  registered: () => boolean = () => true,
) {
  const device = benchChild("./device.ts", [url, agentId, String(version)]);
  try {
    if ((await device.line(20_000)) !== "ready") throw new Error("bench device not ready");
    for (let t = 0; !registered(); t += 10) {
      if (t > 10_000) throw new Error(`${agentId} not registered in 10 s`);
      await new Promise((r) => setTimeout(r, 10));
    }
    await timed(WARMUP, once);
    const ms = await timed(ROUNDS, once);
    return { p50: percentile(ms, 50), p99: percentile(ms, 99) };
  } finally {
    await device.stop();
  }
}

export async function run(progress: (msg: string) => void = () => {}): Promise<Row[]> {
  const bus = new MemoryBus();
  const store = new MemoryStore();
  const node = await SwarmNode.start({ bus, store, nodeId: "bench" });
  const rows: Row[] = [];
  try {
    // listener, and plain aedes as its baseline
    const gw = await MqttGateway.start({ bus, port: 0 });
    const gwUrl = `mqtt://127.0.0.1:${gw.port}`;
    const registered = () => gw.stats().registered === 1;
    const viaGateway = await measure(gwUrl, "rtt-gw", 4, busCommand(bus, "rtt-gw"), registered);
    await gw.close();
    const aedes = await Aedes.createBroker();
    const server = net.createServer((s) => {
      s.setNoDelay(true);
      aedes.handle(s);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const aedesUrl = `mqtt://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    const rawA = await rawRequester(aedesUrl, "rtt-raw");
    const viaAedes = await measure(aedesUrl, "rtt-raw", 4, rawA.once);
    await rawA.close();
    await new Promise<void>((r) => aedes.close(() => r()));
    await new Promise<void>((r) => server.close(() => r()));
    progress(
      `listener p50 ${viaGateway.p50.toFixed(2)} ms p99 ${viaGateway.p99.toFixed(2)} ms; aedes raw p50 ${viaAedes.p50.toFixed(2)} ms`,
    );
    rows.push(
      latency(
        SUITE,
        "swarm→listener→device→reply p50 vs raw mqtt.js on aedes",
        viaGateway.p50,
        "ms",
        viaAedes.p50,
      ),
    );
    rows.push(
      latency(
        SUITE,
        "swarm→listener→device→reply p99 vs raw mqtt.js on aedes",
        viaGateway.p99,
        "ms",
        viaAedes.p99,
      ),
    );

    // bridge over Mosquitto, and the raw requester on the same Mosquitto
    const broker = await startMosquitto({ config: MOSQUITTO_CONFIG });
    try {
      const bridge = await MqttBridge.start({ bus, url: broker.url });
      const bridged = () => bridge.stats().registered === 1;
      const viaBridge = await measure(broker.url, "rtt-br", 5, busCommand(bus, "rtt-br"), bridged);
      await bridge.close();
      const rawM = await rawRequester(broker.url, "rtt-raw");
      const viaMosquitto = await measure(broker.url, "rtt-raw", 4, rawM.once);
      await rawM.close();
      progress(
        `bridge p50 ${viaBridge.p50.toFixed(2)} ms p99 ${viaBridge.p99.toFixed(2)} ms; Mosquitto raw p50 ${viaMosquitto.p50.toFixed(2)} ms`,
      );
      rows.push(
        latency(
          SUITE,
          "swarm→bridge→Mosquitto→device→reply p50 vs raw mqtt.js on Mosquitto",
          viaBridge.p50,
          "ms",
          viaMosquitto.p50,
        ),
      );
      rows.push(
        latency(
          SUITE,
          "swarm→bridge→Mosquitto→device→reply p99 vs raw mqtt.js on Mosquitto",
          viaBridge.p99,
          "ms",
          viaMosquitto.p99,
        ),
      );
    } finally {
      await broker.stop();
    }
  } finally {
    await node.stop();
    await store.close();
    await bus.close();
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await run((m) => process.stderr.write(`${m}\n`));
  console.table(rows);
}
