/**
 * The consuming half of the raw work-queue baseline in a process of its own (dispatch-raw.ts):
 * `raw-consumer.ts NATS_URL STREAM DURABLE COUNT PULL_BATCH`. Prints "ready" once it consumes and
 * "done" once it has acked COUNT messages and the server has the last ack.
 */
import { jetstream } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";

const [url, stream, durable, count, batch] = process.argv.slice(2);
const nc = await connect({ servers: url!, name: "bench-raw-consumer" });
const consumer = await jetstream(nc).consumers.get(stream!, durable!);
const messages = await consumer.consume({ max_messages: Number(batch) });
process.stdout.write("ready\n");
let n = 0;
for await (const m of messages) {
  m.ack();
  if (++n === Number(count)) break;
}
await nc.flush();
process.stdout.write("done\n");
await nc.close();
