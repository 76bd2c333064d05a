/**
 * The raw baseline of the dispatch benchmark: a JetStream work queue on the same nats-server, driven
 * with plain nats.js (`@nats-io/jetstream`, no Bus, no Envelope): one stream with work-queue
 * retention, a publisher keeping `window` publish-with-ack in flight, and a pull consumer (running
 * at the same time) acking each message. Messages are as large as a submitted Task Envelope.
 * Throughput is messages from the first publish to the last ack.
 */
import { AckPolicy, jetstream, jetstreamManager, RetentionPolicy } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";

const STREAM = "BENCH_RAW_WORKQUEUE";
const SUBJECT = "bench.raw.workqueue.submit";
/** The consumer's max ack pending and pull batch: generous, so that JetStream is the limit. */
const MAX_ACK_PENDING = 1000;
const PULL_BATCH = 256;

export interface RawQueueOptions {
  url: string;
  messages: number;
  window: number;
  messageBytes: number;
}

/** Returns messages per second through the work queue; deletes its stream afterwards. */
export async function rawWorkQueue(o: RawQueueOptions): Promise<number> {
  const nc = await connect({ servers: o.url, name: "bench-raw-workqueue" });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: STREAM, subjects: [SUBJECT], retention: RetentionPolicy.Workqueue });
    await jsm.consumers.add(STREAM, {
      durable_name: "worker",
      ack_policy: AckPolicy.Explicit,
      max_ack_pending: MAX_ACK_PENDING,
    });
    const js = jetstream(nc);
    const consumer = await js.consumers.get(STREAM, "worker");
    const data = new Uint8Array(o.messageBytes);
    const t0 = performance.now();
    const messages = await consumer.consume({ max_messages: PULL_BATCH });
    const drained = (async () => {
      let n = 0;
      for await (const m of messages) {
        m.ack();
        if (++n === o.messages) break;
      }
    })();
    let next = 0;
    const lane = async () => {
      while (next < o.messages) {
        next++;
        await js.publish(SUBJECT, data);
      }
    };
    await Promise.all(Array.from({ length: o.window }, lane));
    await drained;
    // The last ack is a plain publish: a round trip makes sure the server has it.
    await nc.flush();
    const elapsedMs = performance.now() - t0;
    await jsm.streams.delete(STREAM);
    return (o.messages / elapsedMs) * 1000;
  } finally {
    await nc.close();
  }
}
