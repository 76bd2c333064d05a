/**
 * Coordinator failover time over repeated leader kills: three SwarmNode processes
 * (test/fixtures/swarm-node.ts through `NodeProcess`) on a private nats-server and redis-server,
 * lease 1000 ms, renew 250 ms; SimulatedWorkers and a steady trickle of `queue` tasks in this process.
 * Each round waits until the leader is awarding, waits a little more (a different share of the renew
 * interval each round, so kills land all over the renew cycle), SIGKILLs it and measures from the
 * kill to
 * - the next `leader` event of a surviving node (its election: liveness probes find the killed
 *   leader gone in a few hundred ms; without them the lease would have to lapse first), and
 * - the first award from the new term crossing the Bus (a tap on every worker's award subject);
 * then starts a replacement node, so that three are always running. p50/p99 over the rounds; the
 * baseline is the lease itself (ratio = 1000 ms / figure: above 1 is a failover faster than a lease).
 */
import { startNats, startRedis } from "@swarmlink/harness";
import { NatsBus } from "@swarmlink/transport";
import { currentLeader, NodeProcess } from "../test/integration/failover-helpers.js";
import { lowerIsBetter, percentile, type Row } from "./auction-lib.js";
import { Traffic } from "./failover-traffic.js";

const SUITE = "failover";
const LEASE_MS = 1000;
const RENEW_MS = 250;
const NODES = 3;
const KILLS = 30;
/** A round that takes longer than this fails the benchmark. */
const ROUND_TIMEOUT_MS = 15_000;
const TRAFFIC = { workers: 4, credits: 2, workMs: 50, submitEveryMs: 50 };

export async function run(progress: (m: string) => void = () => {}): Promise<Row[]> {
  const nats = await startNats();
  const redis = await startRedis();
  const nodes: NodeProcess[] = [];
  let bus: NatsBus | undefined;
  let traffic: Traffic | undefined;
  const spawnNode = () => {
    const n = new NodeProcess(`bench-n${nodes.length + 1}`, nats.url, redis.url, LEASE_MS, RENEW_MS);
    nodes.push(n);
    return n.waitFor((e) => e.event === "started", 30_000);
  };
  try {
    progress(`${NODES} node processes (lease ${LEASE_MS} ms, renew ${RENEW_MS} ms) on NATS + Redis`);
    await Promise.all(Array.from({ length: NODES }, spawnNode));
    bus = await NatsBus.connect({ servers: nats.url, name: "bench-failover" });
    traffic = new Traffic(bus, TRAFFIC);
    await traffic.start();
    const toLeader: number[] = [];
    const toAward: number[] = [];
    for (let k = 0; k < KILLS; k++) {
      const alive = nodes.filter((n) => n.proc.exitCode === null && n.proc.signalCode === null);
      const leader = await currentLeader(alive, undefined, ROUND_TIMEOUT_MS);
      const term = lastLeaderToken(leader);
      await traffic.waitForAward((a) => a.token >= term, ROUND_TIMEOUT_MS);
      await sleep(100 + (((k * RENEW_MS) / KILLS) % RENEW_MS));

      const killedAt = Date.now();
      leader.signal("SIGKILL");
      const next = await currentLeader(alive, leader, ROUND_TIMEOUT_MS);
      const won = await next.waitFor((e) => e.event === "leader" && e.atMs >= killedAt, ROUND_TIMEOUT_MS);
      const award = await traffic.waitForAward(
        (a) => a.atMs >= killedAt && a.token >= (won.token ?? Number.POSITIVE_INFINITY),
        ROUND_TIMEOUT_MS,
      );
      toLeader.push(won.atMs - killedAt);
      toAward.push(award.atMs - killedAt);
      progress(
        `kill ${k + 1}/${KILLS}: ${leader.nodeId} (token ${term}) → ${next.nodeId} leads after ` +
          `${won.atMs - killedAt} ms, first award (token ${award.token}) after ${award.atMs - killedAt} ms`,
      );
      await spawnNode();
    }
    progress(`${traffic.submitted} tasks submitted, ${traffic.submitErrors} submits failed`);
    return [
      row("SIGKILL → new leader p50", toLeader, 50),
      row("SIGKILL → new leader p99", toLeader, 99),
      row("SIGKILL → first award of the new term p50", toAward, 50),
      row("SIGKILL → first award of the new term p99", toAward, 99),
    ];
  } finally {
    await traffic?.stop();
    await Promise.all(nodes.map((n) => n.stop()));
    await bus?.close();
    await redis.stop();
    await nats.stop();
  }
}

function row(name: string, xs: number[], p: number): Row {
  return lowerIsBetter(
    SUITE,
    `${name}, ${xs.length} kills (vs the ${LEASE_MS / 1000} s lease)`,
    percentile(xs, p),
    "ms",
    LEASE_MS,
  );
}

function lastLeaderToken(n: NodeProcess): number {
  const e = [...n.events].reverse().find((x) => x.event === "leader");
  return e?.token ?? 0;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
