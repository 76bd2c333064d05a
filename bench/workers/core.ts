/**
 * One side of a cross-process NATS benchmark, so that publisher, subscriber and server do not share
 * an event loop. `raw` uses nats.js directly; `bus` goes through the Swarmlink NatsBus.
 *   core.ts sub <raw|bus> URL SUBJECT COUNT        prints "ready", then {"count","ms"} when done
 *   core.ts pub <raw|bus> URL SUBJECT COUNT SIZE
 *   core.ts echo <raw|bus> URL SUBJECT             answers requests until stdin closes
 */
import { connect } from "@nats-io/transport-node";
import { NatsBus } from "@swarmlink/transport";

const [role, mode, url, subject, countArg, sizeArg] = process.argv.slice(2);
const count = Number(countArg ?? 0);

interface Side {
  sub(cb: () => void): void;
  echo(): void;
  pub(data: Uint8Array): void;
  flush(): Promise<void>;
  close(): Promise<void>;
}

async function open(): Promise<Side> {
  if (mode === "raw") {
    const nc = await connect({ servers: url });
    return {
      sub: (cb) => nc.subscribe(subject!, { callback: cb }),
      echo: () => nc.subscribe(subject!, { callback: (_e, m) => m.respond(m.data) }),
      pub: (d) => nc.publish(subject!, d),
      flush: () => nc.flush(),
      close: () => nc.close(),
    };
  }
  const bus = await NatsBus.connect({ servers: url });
  return {
    sub: (cb) => bus.subscribe(subject!, { callback: cb, maxPending: 0 }),
    echo: () => bus.subscribe(subject!, { callback: (_e, m) => m.respond(m.data) }),
    pub: (d) => bus.publish(subject!, d),
    flush: () => bus.flush(),
    close: () => bus.close(),
  };
}

const side = await open();
if (role === "sub") {
  let n = 0;
  let t0 = 0;
  side.sub(() => {
    if (n === 0) t0 = performance.now();
    if (++n === count) {
      process.stdout.write(`${JSON.stringify({ count: n, ms: performance.now() - t0 })}\n`);
      void side.close();
    }
  });
  await side.flush();
  process.stdout.write("ready\n");
} else if (role === "pub") {
  const data = new Uint8Array(Number(sizeArg ?? 128));
  for (let i = 0; i < count; i++) {
    side.pub(data);
    // Flushing every few thousand keeps the client's outbound buffer bounded, raw and bus alike.
    if (i % 4096 === 4095) await side.flush();
  }
  await side.flush();
  await side.close();
} else if (role === "echo") {
  side.echo();
  await side.flush();
  process.stdout.write("ready\n");
  process.stdin.resume();
  process.stdin.on("end", () => void side.close());
}
