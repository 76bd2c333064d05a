/**
 * Device → swarm throughput, msg/s: 4 MQTT 3.1.1 devices in a child process (publisher.ts) publish
 * as fast as their sockets take it, and one subscriber counts what arrives:
 * - gateway: the aedes listener (`MqttGateway`, rate limit raised out of the way) on a MemoryBus, the
 *   subscriber a Bus subscription (QoS 0: telemetry → `agents.{id}.telemetry.*`; QoS 1: bids →
 *   `tasks.*.bid`, each PUBACK after the Bus took the Bid);
 * - bridge: the devices publish to a private Mosquitto, `MqttBridge` (an mqtt.js client of it, MQTT 5)
 *   carries them to a MemoryBus and the same Bus subscription counts them;
 * - baselines in the same run, with the same publisher code and message count: plain aedes
 *   pub→sub (broker in this process, an mqtt.js subscriber on `swarm/+/telemetry/+` or
 *   `swarm/+/tasks/+/bid` at the same QoS), and a private Mosquitto with the same subscriber (the
 *   bridge's baseline).
 * Each figure: messages received / (last arrival − "go"), after one warm-up round; a round ends
 * when all have arrived or none has for QUIET_MS.
 */
import net from "node:net";
import { startMosquitto } from "@swarmlink/harness";
import { subjectPatterns } from "@swarmlink/protocol";
import { MemoryBus } from "@swarmlink/transport";
import { Aedes } from "aedes";
import mqtt from "mqtt";
import { MqttBridge, MqttGateway } from "../src/mod.js";
import { benchChild, MOSQUITTO_CONFIG, type Row, throughput } from "./lib.js";

const SUITE = "mqtt-throughput";
const CLIENTS = 4;
const PER_CLIENT = { 0: 40_000, 1: 20_000 } as const;
const ROUND_TIMEOUT_MS = 15_000;
/** A round is over once nothing has arrived for this long (QoS 0 loses some; a slow hop drains). */
const QUIET_MS = 1000;
/** …or after this long at the most. */
const DRAIN_MAX_MS = 30_000;
/** No bound on Mosquitto's queues, as aedes has none: nothing is dropped for a slow subscriber. */
const MOSQUITTO_THROUGHPUT_CONFIG = `${MOSQUITTO_CONFIG}\nmax_queued_messages 0\nmax_inflight_messages 0`;
/** aedes's default (100) overflows the stack in mqemitter when a fast subscriber queue backs up. */
const AEDES_CONCURRENCY = 10_000;

interface Target {
  url: string;
  /** Starts counting arrivals; the callback runs on each. */
  subscribe(qos: 0 | 1, ids: string[], onMessage: () => void): Promise<() => Promise<void>>;
  stop(): Promise<void>;
  /** Device publishes the server has handled so far (the gateway: published to the Bus or conflated). */
  handled?(): number;
}

async function mqttSubscriber(url: string, qos: 0 | 1, onMessage: () => void) {
  const sub = await mqtt.connectAsync(url, {
    clientId: `bench-sub-${qos}`,
    protocolVersion: 4,
    reconnectPeriod: 0,
  });
  (sub.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
  sub.on("message", onMessage);
  await sub.subscribeAsync(qos === 0 ? "swarm/+/telemetry/+" : "swarm/+/tasks/+/bid", { qos });
  return () => sub.endAsync(true);
}

/** Counts what reaches `bus`: the devices' telemetry (QoS 0) or bids (QoS 1). */
function busSubscriber(bus: MemoryBus): Target["subscribe"] {
  return async (qos, ids, onMessage) => {
    const subjects =
      qos === 0 ? ids.map((id) => subjectPatterns.agentTelemetry(id)) : [subjectPatterns.taskBids];
    const subs = subjects.map((s) => bus.subscribe(s, { callback: onMessage }));
    return async () => {
      for (const s of subs) s.unsubscribe();
    };
  };
}

async function gatewayTarget(): Promise<Target> {
  const bus = new MemoryBus();
  const gw = await MqttGateway.start({ bus, port: 0, ratePerSec: 1e9, burst: 1e9 });
  return {
    url: `mqtt://127.0.0.1:${gw.port}`,
    subscribe: busSubscriber(bus),
    handled: () => gw.stats().delivered,
    stop: async () => {
      await gw.close();
      await bus.close();
    },
  };
}

async function bridgeTarget(): Promise<Target> {
  const broker = await startMosquitto({ config: MOSQUITTO_THROUGHPUT_CONFIG });
  const bus = new MemoryBus();
  const bridge = await MqttBridge.start({ bus, url: broker.url });
  return {
    url: broker.url,
    subscribe: busSubscriber(bus),
    handled: () => bridge.stats().delivered,
    stop: async () => {
      await bridge.close();
      await bus.close();
      await broker.stop();
    },
  };
}

async function aedesTarget(): Promise<Target> {
  const aedes = await Aedes.createBroker({ concurrency: AEDES_CONCURRENCY });
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    aedes.handle(socket);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const url = `mqtt://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  return {
    url,
    subscribe: (qos, _ids, onMessage) => mqttSubscriber(url, qos, onMessage),
    stop: async () => {
      await new Promise<void>((r) => aedes.close(() => r()));
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

async function mosquittoTarget(): Promise<Target> {
  const broker = await startMosquitto({ config: MOSQUITTO_THROUGHPUT_CONFIG });
  return {
    url: broker.url,
    subscribe: (qos, _ids, onMessage) => mqttSubscriber(broker.url, qos, onMessage),
    stop: () => broker.stop(),
  };
}

/** One measured round (after a warm-up one) against `target`: msg/s. */
interface Figure {
  /** Arrivals at the subscriber per second. */
  rate: number;
  /** Sent and never arrived (QoS 0 dropped, or conflated by the gateway). */
  lost: number;
  /** Device publishes handled by the server per second, where it says. */
  ingest?: number;
}

async function measure(target: Target, qos: 0 | 1, name: string): Promise<Figure> {
  const per = PER_CLIENT[qos];
  const total = CLIENTS * per;
  const prefix = `pub${qos}`;
  const ids = Array.from({ length: CLIENTS }, (_, i) => `${prefix}-${i}`);
  let received = 0;
  let last = 0;
  let wake: () => void = () => {};
  const unsubscribe = await target.subscribe(qos, ids, () => {
    received++;
    last = performance.now();
    if (received === total) wake();
  });
  const pub = benchChild("./publisher.ts", [target.url, String(CLIENTS), String(per), String(qos), prefix]);
  try {
    if ((await pub.line(20_000)) !== "ready") throw new Error(`${name}: publisher not ready`);
    let result: Figure = { rate: 0, lost: 0 };
    for (const round of ["warm-up", "measured"]) {
      received = 0;
      const all = new Promise<void>((r) => {
        wake = r;
      });
      const handled0 = target.handled?.() ?? 0;
      let handled = handled0;
      let handledAt = 0;
      const poll = setInterval(() => {
        const h = target.handled?.() ?? 0;
        if (h !== handled) [handled, handledAt] = [h, performance.now()];
      }, 2);
      const t0 = performance.now();
      pub.proc.stdin?.write("go\n");
      const done = await pub.line(ROUND_TIMEOUT_MS);
      if (!done.startsWith("done")) throw new Error(`${name}: publisher said ${done}`);
      await settled(all, () => last);
      clearInterval(poll);
      if (round === "measured") {
        const ingest = handledAt > 0 ? (handled - handled0) / ((handledAt - t0) / 1000) : undefined;
        result = { rate: received / ((last - t0) / 1000), lost: total - received, ingest };
      }
    }
    return result;
  } finally {
    await pub.stop();
    await unsubscribe();
  }
}

/** Resolves when `all` does, when nothing has arrived for QUIET_MS, or after DRAIN_MAX_MS. */
async function settled(all: Promise<void>, lastArrival: () => number): Promise<void> {
  const t0 = performance.now();
  let quiet: (() => void) | undefined;
  const timer = setInterval(() => {
    const now = performance.now();
    if (now - Math.max(lastArrival(), t0) >= QUIET_MS || now - t0 >= DRAIN_MAX_MS) quiet?.();
  }, 50);
  try {
    await Promise.race([all, new Promise<void>((r) => (quiet = r))]);
  } finally {
    clearInterval(timer);
  }
}

export async function run(progress: (msg: string) => void = () => {}): Promise<Row[]> {
  const rows: Row[] = [];
  const figures: Record<string, Record<0 | 1, Figure>> = {};
  for (const [name, start] of [
    ["gateway", gatewayTarget],
    ["aedes", aedesTarget],
    ["mosquitto", mosquittoTarget],
    ["bridge", bridgeTarget],
  ] as const) {
    const target = await start();
    try {
      figures[name] = { 0: await measure(target, 0, name), 1: await measure(target, 1, name) };
      progress(
        `${name}: QoS 0 ${Math.round(figures[name][0].rate)} msg/s, QoS 1 ${Math.round(figures[name][1].rate)} msg/s`,
      );
    } finally {
      await target.stop();
    }
  }
  for (const qos of [0, 1] as const) {
    const base = figures.aedes?.[qos].rate;
    const gw = figures.gateway?.[qos];
    const mosq = figures.mosquitto?.[qos];
    const lost = (f: { lost: number } | undefined) => (f && f.lost > 0 ? ` (${f.lost} lost)` : "");
    if (gw?.ingest !== undefined)
      rows.push(
        throughput(SUITE, `QoS ${qos} device→gateway handled vs aedes pub→sub`, gw.ingest, "msg/s", base),
      );
    rows.push(
      throughput(
        SUITE,
        `QoS ${qos} device→gateway→Bus vs aedes pub→sub${lost(gw)}`,
        gw?.rate ?? 0,
        "msg/s",
        base,
      ),
    );
    rows.push(
      throughput(
        SUITE,
        `QoS ${qos} Mosquitto pub→sub vs aedes pub→sub${lost(mosq)}`,
        mosq?.rate ?? 0,
        "msg/s",
        base,
      ),
    );
    const bridge = figures.bridge?.[qos];
    rows.push(
      throughput(
        SUITE,
        `QoS ${qos} device→Mosquitto→bridge→Bus vs Mosquitto pub→sub${lost(bridge)}`,
        bridge?.rate ?? 0,
        "msg/s",
        mosq?.rate,
      ),
    );
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await run((m) => process.stderr.write(`${m}\n`));
  console.table(rows);
}
