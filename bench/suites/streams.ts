import { AckPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { startNats } from "@swarmlink/harness";
import { NatsBus } from "@swarmlink/transport";
import { type Suite, throughput } from "../lib/types.js";

const MESSAGES = 30_000;
const WINDOW = 256;
const SIZE = 128;

/** Keeps `WINDOW` publishes in flight until `MESSAGES` are acknowledged; returns msg/s. */
async function windowed(publish: (i: number) => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  const lane = async () => {
    while (next < MESSAGES) await publish(next++);
  };
  await Promise.all(Array.from({ length: WINDOW }, lane));
  return (MESSAGES / (performance.now() - t0)) * 1000;
}

async function rawSide(url: string, stream: string): Promise<{ pub: number; pull: number }> {
  const nc = await connect({ servers: url });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: stream, subjects: [`${stream}.>`] });
  const js = jetstream(nc);
  const data = new Uint8Array(SIZE);
  const pub = await windowed((i) => js.publish(`${stream}.${i % 16}`, data));
  await jsm.consumers.add(stream, {
    durable_name: "c",
    ack_policy: AckPolicy.Explicit,
    max_ack_pending: 1000,
  });
  const c = await js.consumers.get(stream, "c");
  const t0 = performance.now();
  const it = await c.consume({ max_messages: 500 });
  let n = 0;
  for await (const m of it) {
    m.ack();
    if (++n === MESSAGES) break;
  }
  const pull = (MESSAGES / (performance.now() - t0)) * 1000;
  await jsm.streams.delete(stream);
  await nc.close();
  return { pub, pull };
}

async function busSide(url: string, stream: string): Promise<{ pub: number; pull: number }> {
  const bus = await NatsBus.connect({ servers: url });
  await bus.streams.ensure({ name: stream, subjects: [`${stream}.>`] });
  const data = new Uint8Array(SIZE);
  const pub = await windowed((i) => bus.streams.publish(`${stream}.${i % 16}`, data));
  const c = await bus.streams.consumer(stream, { name: "c", maxInFlight: 1000 });
  const t0 = performance.now();
  const ms = c.consume({ maxMessages: 500 });
  let n = 0;
  for await (const m of ms) {
    m.ack();
    if (++n === MESSAGES) break;
  }
  const pull = (MESSAGES / (performance.now() - t0)) * 1000;
  await bus.streams.delete(stream);
  await bus.close();
  return { pub, pull };
}

export const streamsSuite: Suite = {
  name: "streams",
  description: `durable streams against raw JetStream: publish-with-ack (${WINDOW} in flight), pull+ack`,
  async run(progress) {
    const server = await startNats();
    try {
      const raw = { pub: 0, pull: 0 };
      const bus = { pub: 0, pull: 0 };
      for (let r = 0; r < 2; r++) {
        progress(`round ${r + 1}/2`);
        const a = await rawSide(server.url, `RAW${r}`);
        const b = await busSide(server.url, `BUS${r}`);
        raw.pub = Math.max(raw.pub, a.pub);
        raw.pull = Math.max(raw.pull, a.pull);
        bus.pub = Math.max(bus.pub, b.pub);
        bus.pull = Math.max(bus.pull, b.pull);
      }
      return [
        throughput("streams", "publish-with-ack", bus.pub, "msg/s", raw.pub),
        throughput("streams", "pull + ack", bus.pull, "msg/s", raw.pull),
      ];
    } finally {
      await server.stop();
    }
  },
};
