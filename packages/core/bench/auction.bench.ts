/**
 * Auction award latency with 1,000 simulated agents: from `runAuction` start to the winner, every
 * agent bidding (so the auction closes early, not on its window), p50/p99 over 50 auctions.
 * - NATS: a real nats-server (harness); the agents are 1,000 NatsBus subscriptions in a child
 *   process (auction-agents.ts), each pricing the offer by distance and publishing a Bid Envelope.
 *   Baseline: raw nats.js scatter-gather of the same shape in the same run: 1,000 offer-sized
 *   publishes with one reply inbox, 1,000 bid-sized replies collected on it.
 * - Memory: the same auctions on a MemoryBus, agents in-process; baseline: the same scatter-gather
 *   with bare MemoryBus publish/respond (no Envelope, no protobuf).
 * Each auction's winner is checked against the cheapest agent computed here.
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { connect, createInbox } from "@nats-io/transport-node";
import { startNats } from "@swarmlink/harness";
import { encodeEnvelope, swarmlink, type Task, TaskStrategy, wrap } from "@swarmlink/protocol";
import { type Bus, MemoryBus, NatsBus } from "@swarmlink/transport";
import { answerOffers, encodeOffer, runAuction } from "../src/dispatcher/auction/mod.js";
import { agentSpot, lowerIsBetter, percentile, type Row, taskSpot } from "./auction-lib.js";

const SUITE = "auction";
const AGENTS = 1000;
const AUCTIONS = 50;
const WARMUP = 5;
const WINDOW_MS = 10_000;
const AGENT_SCRIPT = fileURLToPath(new URL("./auction-agents.ts", import.meta.url));
const IDS = Array.from({ length: AGENTS }, (_, i) => `agent-${i}`);

function benchTask(k: number): Task {
  const p = taskSpot(k);
  return swarmlink.v1.Task.create({
    id: `bench-task-${k}`,
    kind: "deliver",
    strategy: TaskStrategy.TASK_STRATEGY_AUCTION,
    position: { cartesian: { x: p.x, y: p.y } },
  });
}

/** The agent that must win task k: the nearest, ties to the lower id. */
function expectedWinner(k: number): string {
  const t = taskSpot(k);
  let best = 0;
  let bestCost = Number.POSITIVE_INFINITY;
  for (let i = 0; i < AGENTS; i++) {
    const a = agentSpot(i);
    const c = Math.hypot(t.x - a.x, t.y - a.y);
    if (c < bestCost || (c === bestCost && IDS[i]! < IDS[best]!)) [best, bestCost] = [i, c];
  }
  return IDS[best]!;
}

/** One auction, timed; throws unless every agent bid and the right one won. */
async function timedAuction(bus: Bus, k: number): Promise<number> {
  const t0 = performance.now();
  const r = await runAuction({
    bus,
    task: benchTask(k),
    candidates: IDS,
    coordinatorId: "bench",
    windowMs: WINDOW_MS,
  });
  const ms = performance.now() - t0;
  if (r.closedBy !== "all-bid" || r.bids.length !== AGENTS) {
    throw new Error(
      `auction ${k}: ${r.closedBy} with ${r.bids.length} bids (${r.invalid} invalid, ${r.late} late)`,
    );
  }
  if (r.winner !== expectedWinner(k))
    throw new Error(`auction ${k} won by ${r.winner}, not ${expectedWinner(k)}`);
  return ms;
}

/** Raw nats.js: offers out to every responder with one reply inbox, every reply back on it. */
async function rawScatterGather(url: string, offerBytes: number, rounds: number): Promise<number[]> {
  const nc = await connect({ servers: url });
  const prefix = createInbox();
  let expected = 0;
  let got = 0;
  let done: () => void = () => {};
  nc.subscribe(`${prefix}.*`, {
    callback: () => {
      if (++got === expected) done();
    },
  });
  await nc.flush();
  const offer = new Uint8Array(offerBytes);
  const times: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const inbox = `${prefix}.${r}`;
    got = 0;
    expected = AGENTS;
    const all = new Promise<void>((resolve) => {
      done = resolve;
    });
    const t0 = performance.now();
    for (let i = 0; i < AGENTS; i++) nc.publish(`bench.raw.offer.${i}`, offer, { reply: inbox });
    await all;
    times.push(performance.now() - t0);
  }
  await nc.close();
  return times;
}

/** Starts the child fleet; resolves once it has every subscription in place. */
async function startFleet(url: string, replyBytes: number): Promise<{ stop(): Promise<void> }> {
  const proc = spawn(
    process.execPath,
    ["--import", "tsx", AGENT_SCRIPT, url, String(AGENTS), String(replyBytes)],
    {
      stdio: ["pipe", "pipe", "inherit"],
    },
  );
  const exited = new Promise<void>((r) => proc.once("exit", () => r()));
  const lines = createInterface({ input: proc.stdout! });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("fleet not ready in 60 s")), 60_000);
    lines.once("line", () => {
      clearTimeout(t);
      resolve();
    });
    proc.once("exit", (code) => reject(new Error(`fleet exited with ${code}`)));
  });
  return {
    async stop() {
      proc.stdin!.end();
      const t = setTimeout(() => proc.kill("SIGKILL"), 3000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** Sizes of one offer and one bid Envelope, for a raw baseline of the same shape. */
function wireSizes(): { offer: number; bid: number } {
  const task = benchTask(0);
  const offer = encodeOffer({
    task,
    round: 1,
    bidDeadlineMs: Date.now() + WINDOW_MS,
    coordinatorId: "bench",
    bidSubject: "swarm.v1.tasks.bench-task-0.bid",
    ttlMs: WINDOW_MS,
  });
  const bidEnv = wrap(
    "swarmlink.v1.Bid",
    { taskId: task.id, agentId: "agent-999", cost: 12.345, round: 1 },
    { source: "agent-999" },
  );
  return { offer: offer.length, bid: encodeEnvelope(bidEnv).length };
}

export async function run(progress: (m: string) => void = () => {}): Promise<Row[]> {
  const sizes = wireSizes();
  const rows: Row[] = [];
  const server = await startNats({ jetstream: false });
  try {
    const fleet = await startFleet(server.url, sizes.bid);
    try {
      const bus = await NatsBus.connect({ servers: server.url });
      try {
        progress(
          `NATS: ${WARMUP} warm-up + ${AUCTIONS} auctions × ${AGENTS} agents, raw scatter-gather interleaved`,
        );
        const nats: number[] = [];
        const raw: number[] = [];
        await rawScatterGather(server.url, sizes.offer, WARMUP);
        for (let k = 0; k < WARMUP; k++) await timedAuction(bus, k);
        // Interleaved blocks of ten: both figures see the same machine noise.
        for (let k = 0; k < AUCTIONS; k += 10) {
          for (let j = k; j < k + 10; j++) nats.push(await timedAuction(bus, WARMUP + j));
          raw.push(...(await rawScatterGather(server.url, sizes.offer, 10)));
        }
        rows.push(
          lowerIsBetter(
            SUITE,
            `NATS award p50, ${AGENTS} bidders`,
            percentile(nats, 50),
            "ms",
            percentile(raw, 50),
          ),
          lowerIsBetter(
            SUITE,
            `NATS award p99, ${AGENTS} bidders`,
            percentile(nats, 99),
            "ms",
            percentile(raw, 99),
          ),
        );
      } finally {
        await bus.close();
      }
    } finally {
      await fleet.stop();
    }
  } finally {
    await server.stop();
  }
  rows.push(...(await memoryRows(progress, sizes)));
  return rows;
}

/** The memory Bus's own scatter-gather: offer-sized publishes, bid-sized answers on one inbox. */
async function memoryScatterGather(bus: MemoryBus, sizes: { offer: number; bid: number }, rounds: number) {
  const reply = new Uint8Array(sizes.bid);
  for (let i = 0; i < AGENTS; i++) {
    bus.subscribe(`bench.raw.offer.${i}`, { callback: (_e, m) => m.respond(reply) });
  }
  let got = 0;
  let done: () => void = () => {};
  bus.subscribe("bench.raw.inbox.*", {
    callback: () => {
      if (++got === AGENTS) done();
    },
  });
  const offer = new Uint8Array(sizes.offer);
  const times: number[] = [];
  for (let r = 0; r < rounds; r++) {
    got = 0;
    const all = new Promise<void>((resolve) => {
      done = resolve;
    });
    const t0 = performance.now();
    for (let i = 0; i < AGENTS; i++)
      bus.publish(`bench.raw.offer.${i}`, offer, { reply: `bench.raw.inbox.${r}` });
    await all;
    times.push(performance.now() - t0);
  }
  return times;
}

async function memoryRows(
  progress: (m: string) => void,
  sizes: { offer: number; bid: number },
): Promise<Row[]> {
  progress(
    `memory: ${WARMUP} warm-up + ${AUCTIONS} auctions × ${AGENTS} in-process agents, and the raw baseline`,
  );
  const bus = new MemoryBus();
  try {
    IDS.forEach((id, i) => {
      const me = agentSpot(i);
      answerOffers(bus, id, (task) => {
        const p = task.position?.cartesian;
        return p ? Math.hypot((p.x ?? 0) - me.x, (p.y ?? 0) - me.y) : undefined;
      });
    });
    const times: number[] = [];
    for (let k = 0; k < WARMUP + AUCTIONS; k++) {
      const ms = await timedAuction(bus, k);
      if (k >= WARMUP) times.push(ms);
    }
    const raw = (await memoryScatterGather(bus, sizes, WARMUP + AUCTIONS)).slice(WARMUP);
    return [
      lowerIsBetter(
        SUITE,
        `memory award p50, ${AGENTS} bidders`,
        percentile(times, 50),
        "ms",
        percentile(raw, 50),
      ),
      lowerIsBetter(
        SUITE,
        `memory award p99, ${AGENTS} bidders`,
        percentile(times, 99),
        "ms",
        percentile(raw, 99),
      ),
    ];
  } finally {
    await bus.close();
  }
}
