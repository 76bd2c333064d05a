/**
 * The simulated fleet of the auction benchmark, in its own process so that agents and auctioneer do
 * not share an event loop:
 *   auction-agents.ts URL COUNT
 * connects twice to the NATS server at URL:
 * - a NatsBus with COUNT agents `agent-0`…, each its own subscription on its offer subject, answering
 *   every offer with a Bid priced by its distance to the task (`answerOffers`);
 * - a raw nats.js connection with COUNT subscriptions `bench.raw.offer.<i>`, each answering to the
 *   message's reply subject with a bid-sized payload (the scatter-gather baseline).
 * Prints "ready" once the server has every subscription; exits when stdin closes.
 */
import { connect } from "@nats-io/transport-node";
import { NatsBus } from "@swarmlink/transport";
import { answerOffers } from "../src/dispatcher/auction/mod.js";
import { agentSpot } from "./auction-lib.js";

const [url, countArg, replyBytesArg] = process.argv.slice(2);
const count = Number(countArg);
const reply = new Uint8Array(Number(replyBytesArg ?? 80));

const bus = await NatsBus.connect({ servers: url! });
for (let i = 0; i < count; i++) {
  const me = agentSpot(i);
  answerOffers(bus, `agent-${i}`, (task) => {
    const p = task.position?.cartesian;
    return p ? Math.hypot((p.x ?? 0) - me.x, (p.y ?? 0) - me.y) : undefined;
  });
}
await bus.flush();

const nc = await connect({ servers: url! });
for (let i = 0; i < count; i++) {
  nc.subscribe(`bench.raw.offer.${i}`, {
    callback: (_err, msg) => {
      msg.respond(reply);
    },
  });
}
await nc.flush();

process.stdout.write("ready\n");
process.stdin.resume();
process.stdin.on("end", () => {
  void Promise.all([bus.close(), nc.close()]).then(() => process.exit(0));
});
