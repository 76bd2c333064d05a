/**
 * The dispatch floor in embedded mode: a `queue` task's traffic (dispatch-floor.ts) through the
 * memory Bus and memory Store in one process, with pre-built payloads and no dispatcher — a durable
 * submission (stream publish with ack, consume, ack), a record create at award and an update at the
 * end, an award request, a report request, four events. What the seams' in-process implementations
 * allow for that pattern, whatever runs above them.
 */
import { MemoryStore } from "@swarmlink/store";
import { MemoryBus } from "@swarmlink/transport";
import { type FloorSizes, floorBytes } from "./floor-wire.js";

const STREAM = "FLOOR_MEMORY";
const SUBMIT = "floor.submit";

export interface MemoryFloorOptions {
  tasks: number;
  window: number;
  agents: number;
  sizes: FloorSizes;
}

/** Tasks per second through the pattern, and this process's CPU per task in µs. */
export async function memoryDispatchFloor(
  o: MemoryFloorOptions,
): Promise<{ tasksPerSecond: number; cpuUsPerTask: number }> {
  const bus = new MemoryBus();
  const store = new MemoryStore();
  const bytes = floorBytes(o.sizes);
  try {
    await bus.streams.ensure({ name: STREAM, subjects: [SUBMIT], retention: "workqueue" });
    let reported = 0;
    let allReported: () => void = () => {};
    const done = new Promise<void>((resolve) => {
      allReported = resolve;
    });
    for (let i = 0; i < o.agents; i++) {
      bus.subscribe(`floor.agent.${i}.award.*`, {
        callback: (_e, m) => {
          const id = m.subject.slice(m.subject.lastIndexOf(".") + 1);
          m.respond(bytes.result); // ACCEPTED
          void bus.request(`floor.report.${id}`, bytes.result, { timeout: 10_000 }).then(() => {
            if (++reported === o.tasks) allReported();
          });
        },
      });
    }
    const revisions = new Map<string, number>();
    bus.subscribe("floor.report.*", {
      callback: (_e, m) => {
        const id = m.subject.slice("floor.report.".length);
        void store.update(`tasks.${id}`, bytes.record, revisions.get(id)!).then(() => {
          bus.publish(`floor.events.${id}`, bytes.event);
          m.respond(bytes.event);
        });
      },
    });
    /** Awards whose answer has not come back yet: the last ones may trail the last report. */
    let awarding = 0;
    const consumer = await bus.streams.consumer(STREAM, { name: "coordinator", maxInFlight: 1000 });
    const messages = consumer.consume({ maxMessages: 256 });
    let next = 0;
    void (async () => {
      for await (const m of messages) {
        const id = String(m.seq);
        const agent = next++ % o.agents;
        void store.create(`tasks.${id}`, bytes.record).then(async (rev) => {
          revisions.set(id, rev);
          bus.publish(`floor.events.${id}`, bytes.event); // QUEUED
          bus.publish(`floor.events.${id}`, bytes.event); // AWARDED
          m.ack();
          awarding++;
          await bus.request(`floor.agent.${agent}.award.${id}`, bytes.award, { timeout: 10_000 });
          bus.publish(`floor.events.${id}`, bytes.event); // ACCEPTED
          awarding--;
        });
      }
    })();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let submitted = 0;
    const lane = async () => {
      while (submitted < o.tasks) {
        submitted++;
        await bus.streams.publish(SUBMIT, bytes.task);
      }
    };
    await Promise.all(Array.from({ length: o.window }, lane));
    await done;
    while (awarding > 0) await new Promise((r) => setImmediate(r));
    const elapsedMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    messages.stop();
    return {
      tasksPerSecond: (o.tasks / elapsedMs) * 1000,
      cpuUsPerTask: (cpu.user + cpu.system) / o.tasks,
    };
  } finally {
    await store.close();
    await bus.close();
  }
}
