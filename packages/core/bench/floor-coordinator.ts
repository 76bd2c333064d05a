/**
 * The coordinating half of the dispatch floor (dispatch-floor.ts), in a process of its own as the
 * split dispatch case runs its SwarmNode: `floor-coordinator.ts NATS_URL REDIS_URL AGENTS SIZES_JSON`.
 * Does, with plain nats.js and ioredis and pre-built payloads, what the dispatcher does for a `queue`
 * task taken in while nothing waits: per submission one record write (AWARDED), the QUEUED and
 * AWARDED events, the ack, the award request, the ACCEPTED event on its answer; per final report
 * one record write (SUCCEEDED), its event and the answer. Prints "ready" once it consumes.
 */
import { jetstream } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { Redis } from "ioredis";
import { batchBytes, FLOOR, type FloorSizes, floorBytes, idsOf } from "./floor-wire.js";

const [natsUrl, redisUrl, agentCount, sizesJson, batched] = process.argv.slice(2);
const agents = Number(agentCount);
const sizes = JSON.parse(sizesJson!) as FloorSizes;
const bytes = floorBytes(sizes);

const nc = await connect({ servers: natsUrl!, name: "floor-coordinator" });
// Autopipelining: the writes of one turn go out in one socket write, as the RedisStore batches them.
const redis = new Redis(redisUrl!, { enableAutoPipelining: true });
redis.defineCommand("writeRecord", { numberOfKeys: 3, lua: FLOOR.writeScript });
const write = (id: string) =>
  (redis as unknown as { writeRecord(...a: unknown[]): Promise<number> }).writeRecord(
    FLOOR.revKey,
    `${FLOOR.valuePrefix}${id}`,
    FLOOR.changesKey,
    id,
    bytes.record,
  );

nc.subscribe(FLOOR.reports, {
  queue: "coordinator",
  callback: (_e, m) => {
    const id = m.subject.slice(FLOOR.reports.length - 1);
    void write(id).then(() => {
      nc.publish(`${FLOOR.events}${id}`, bytes.event);
      m.respond(bytes.event); // the dispatcher answers a report with the task's record
    });
  },
});

/** Batched protocol: one award request per agent per turn, naming every task awarded to it. */
const awarding = new Map<number, string[]>();
const sendAwards = () => {
  for (const [agent, ids] of awarding) {
    void nc
      .request(`${FLOOR.awardPrefix}${agent}.batch`, batchBytes(ids, bytes.award.length), { timeout: 10_000 })
      .then(() => {
        for (const id of ids) nc.publish(`${FLOOR.events}${id}`, bytes.event); // ACCEPTED
      });
  }
  awarding.clear();
};
nc.subscribe(FLOOR.reportBatches, {
  queue: "coordinator",
  callback: (_e, m) => {
    const ids = idsOf(m.data);
    void Promise.all(ids.map(write)).then(() => {
      for (const id of ids) nc.publish(`${FLOOR.events}${id}`, bytes.event);
      m.respond(batchBytes(ids, bytes.event.length));
    });
  },
});

let next = 0;
const consumer = await jetstream(nc).consumers.get(FLOOR.stream, FLOOR.durable);
const messages = await consumer.consume({ max_messages: FLOOR.pullBatch });
process.stdout.write("ready\n");
for await (const m of messages) {
  const id = String(m.seq);
  const agent = next++ % agents;
  void write(id).then(async () => {
    nc.publish(`${FLOOR.events}${id}`, bytes.event); // QUEUED
    nc.publish(`${FLOOR.events}${id}`, bytes.event); // AWARDED
    m.ack();
    if (batched) {
      const ids = awarding.get(agent) ?? [];
      if (ids.length === 0) awarding.set(agent, ids);
      if (awarding.size === 1 && ids.length === 0) process.nextTick(sendAwards);
      ids.push(id);
      return;
    }
    await nc.request(`${FLOOR.awardPrefix}${agent}.${id}`, bytes.award, { timeout: 10_000 });
    nc.publish(`${FLOOR.events}${id}`, bytes.event); // ACCEPTED
  });
}
