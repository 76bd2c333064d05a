/**
 * The publishing devices of the throughput benchmark, in their own process:
 *   publisher.ts URL CLIENTS PER_CLIENT QOS PREFIX
 * connects CLIENTS mqtt.js clients (MQTT 3.1.1, client ids `{PREFIX}-{i}`, no-delay sockets),
 * prints "ready", and on a "go" line each publishes PER_CLIENT messages as fast as the socket
 * takes them: QoS 0 telemetry (`swarm/{id}/telemetry/t{k % 1000}`, distinct streams so the
 * gateway's conflation does not merge them) or QoS 1 bids (`swarm/{id}/tasks/{taskId}/bid`, at
 * most WINDOW unacknowledged per client). Prints "done {ms}"; exits when stdin closes.
 */
import { createInterface } from "node:readline";
import mqtt from "mqtt";

const WINDOW = 256;
const TASK_ID = "01JD4Q7ZK3M5T8B2C6E9F0GHJK";
const [url, clientsArg, perArg, qosArg, prefix] = process.argv.slice(2);
const clients = Number(clientsArg);
const perClient = Number(perArg);
const qos = Number(qosArg) as 0 | 1;

const conns = await Promise.all(
  Array.from({ length: clients }, async (_, i) => {
    const c = await mqtt.connectAsync(url as string, {
      clientId: `${prefix}-${i}`,
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    (c.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
    return c;
  }),
);

const pose = Buffer.from('{"x":12.5,"y":-3.25,"headingDeg":90}');
const bid = Buffer.from('{"cost":12.5}');

async function publishQos0(c: mqtt.MqttClient, id: string): Promise<void> {
  for (let k = 0; k < perClient; k++) {
    c.publish(`swarm/${id}/telemetry/t${k % 1000}`, pose, { qos: 0 });
    if (k % 500 === 499 && c.stream.writableNeedDrain)
      await new Promise<void>((r) => c.stream.once("drain", () => r()));
    else if (k % 2000 === 1999) await new Promise<void>((r) => setImmediate(r));
  }
}

async function publishQos1(c: mqtt.MqttClient, id: string): Promise<void> {
  const topic = `swarm/${id}/tasks/${TASK_ID}/bid`;
  let next = 0;
  const lane = async () => {
    while (next < perClient) {
      next++;
      await c.publishAsync(topic, bid, { qos: 1 });
    }
  };
  await Promise.all(Array.from({ length: WINDOW }, lane));
}

const lines = createInterface({ input: process.stdin });
process.stdout.write("ready\n");
for await (const line of lines) {
  if (line !== "go") continue;
  const t0 = performance.now();
  await Promise.all(
    conns.map((c, i) => (qos === 0 ? publishQos0(c, `${prefix}-${i}`) : publishQos1(c, `${prefix}-${i}`))),
  );
  process.stdout.write(`done ${(performance.now() - t0).toFixed(1)}\n`);
}
await Promise.all(conns.map((c) => c.endAsync(true)));
process.exit(0);
