import { MemoryBus } from "@swarmlink/transport";
import { type Suite, throughput } from "../lib/types.js";

const MESSAGES = 2_000_000;

async function run(iterate: boolean): Promise<number> {
  const bus = new MemoryBus();
  const data = new Uint8Array(128);
  let n = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => {
    done = r;
  });
  if (iterate) {
    const sub = bus.subscribe("bench.mem", { maxPending: 0 });
    void (async () => {
      for await (const _ of sub) if (++n === MESSAGES) break;
      done();
    })();
  } else {
    bus.subscribe("bench.mem", {
      maxPending: 0,
      callback: () => {
        if (++n === MESSAGES) done();
      },
    });
  }
  const t0 = performance.now();
  for (let i = 0; i < MESSAGES; i++) {
    bus.publish("bench.mem", data);
    // Yield now and then so the subscriber runs alongside, as it would in a real process.
    if (i % 10_000 === 9_999) await new Promise((r) => setImmediate(r));
  }
  await finished;
  const ms = performance.now() - t0;
  await bus.close();
  return (MESSAGES / ms) * 1000;
}

export const memoryBusSuite: Suite = {
  name: "memory",
  description: "embedded memory Bus, publish→subscribe in one process (128 B)",
  async run(progress) {
    progress("callback subscriber");
    const cb = Math.max(await run(false), await run(false));
    progress("iterator subscriber");
    const it = Math.max(await run(true), await run(true));
    return [
      throughput("memory", "pub→sub, callback", cb, "msg/s"),
      throughput("memory", "pub→sub, for await", it, "msg/s"),
    ];
  },
};
