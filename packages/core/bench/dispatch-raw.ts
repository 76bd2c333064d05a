/**
 * The raw baseline of the dispatch benchmark: a JetStream work queue on the same nats-server, driven
 * with plain nats.js (`@nats-io/jetstream`, no Bus, no Envelope): one stream with work-queue
 * retention, a publisher keeping `window` publish-with-ack in flight, and a pull consumer (running
 * at the same time) acking each message. Messages are as large as a submitted Task Envelope.
 * Throughput is messages from the first publish to the last ack. With `consumerProcess`, the consumer
 * runs in a process of its own (raw-consumer.ts), as the split dispatch case runs its SwarmNode.
 */

import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
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
  /** Consume in a child process instead of this one. @default false */
  consumerProcess?: boolean;
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
    const data = new Uint8Array(o.messageBytes);
    const consuming = o.consumerProcess ? await childConsumer(o) : undefined;
    const t0 = performance.now();
    const drained = consuming ? consuming() : consumeHere(js, o.messages);
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
    if (!consuming) await nc.flush();
    const elapsedMs = performance.now() - t0;
    await jsm.streams.delete(STREAM);
    return (o.messages / elapsedMs) * 1000;
  } finally {
    await nc.close();
  }
}

async function consumeHere(js: ReturnType<typeof jetstream>, count: number): Promise<void> {
  const consumer = await js.consumers.get(STREAM, "worker");
  const messages = await consumer.consume({ max_messages: PULL_BATCH });
  let n = 0;
  for await (const m of messages) {
    m.ack();
    if (++n === count) break;
  }
}

/** Starts raw-consumer.ts and waits until it consumes; the function returned resolves when it is done. */
async function childConsumer(o: RawQueueOptions): Promise<() => Promise<void>> {
  const script = fileURLToPath(new URL("./raw-consumer.ts", import.meta.url));
  const args = [o.url, STREAM, "worker", String(o.messages), String(PULL_BATCH)];
  const child = spawn(process.execPath, ["--import", "tsx", script, ...args], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout! });
  const said = (word: string) =>
    new Promise<void>((resolve, reject) => {
      const onLine = (l: string) => {
        if (l !== word) return;
        lines.off("line", onLine);
        resolve();
      };
      lines.on("line", onLine);
      child.once("exit", (code) => reject(new Error(`raw consumer exited (${code}) before "${word}"`)));
    });
  const done = said("done");
  done.catch(() => {}); // awaited by the caller
  await said("ready");
  return () => done;
}
