/**
 * Allocation quality: what one-task auctions (the dispatcher's `auction` strategy) cost against the
 * optimal assignment, and what batching buys back. Random 100×100 instances: tasks and agents at
 * random positions in a 100 m square, cost = euclidean distance, one credit per agent.
 *
 * - sequential auction: tasks auctioned one by one in random arrival order through `runAuction` on
 *   a MemoryBus, 100 simulated agents pricing each offer by distance, each task to the lowest
 *   bidder among the agents still free;
 * - greedy + re-contracting: the same order through `allocateBatch` greedy with swap passes;
 * - arrival batches: the same order cut into batches of 10, each allocated exactly;
 * - batch auction: all 100 waiting tasks auctioned together through `runBatchAuction` on the same
 *   MemoryBus (every agent bids for every task; the batch is allocated exactly over the bids).
 *
 * Every ratio is total cost / optimal total (Hungarian) on the same instance, averaged.
 */
import { swarmlink, type Task, TaskStrategy } from "@swarmlink/protocol";
import { type Bus, MemoryBus } from "@swarmlink/transport";
import { hungarian } from "../src/allocation/hungarian.js";
import { allocateBatch, answerOffers, runAuction, runBatchAuction } from "../src/dispatcher/auction/mod.js";
import { lowerIsBetter, mean, prng, type Row, shuffled } from "./auction-lib.js";

const SUITE = "allocation";
const SIZE = 100;
const INSTANCES = 20;
const SIDE_M = 100;
const ARRIVAL_BATCH = 10;

interface Spot {
  id: string;
  x: number;
  y: number;
  credits: number;
}

interface Instance {
  tasks: Spot[];
  agents: Spot[];
  /** Arrival order of the tasks. */
  order: number[];
}

const distance = (a: { x: number; y: number }, b: { x: number; y: number }) =>
  Math.hypot(a.x - b.x, a.y - b.y);

function instance(seed: number): Instance {
  const rand = prng(seed);
  const spot = (prefix: string) => (_: unknown, i: number) => ({
    id: `${prefix}${i}`,
    x: rand() * SIDE_M,
    y: rand() * SIDE_M,
    credits: 1,
  });
  const tasks = Array.from({ length: SIZE }, spot("t"));
  const agents = Array.from({ length: SIZE }, spot("a"));
  return { tasks, agents, order: shuffled(SIZE, rand) };
}

/** Total cost of a plan (task id → agent id). */
function total(inst: Instance, plan: Map<string, string>): number {
  if (plan.size !== SIZE) throw new Error(`a plan placed ${plan.size} of ${SIZE} tasks`);
  const byId = new Map([...inst.tasks, ...inst.agents].map((s) => [s.id, s]));
  let sum = 0;
  for (const [t, a] of plan) sum += distance(byId.get(t)!, byId.get(a)!);
  return sum;
}

function toTask(t: Spot): Task {
  return swarmlink.v1.Task.create({
    id: t.id,
    kind: "deliver",
    strategy: TaskStrategy.TASK_STRATEGY_AUCTION,
    position: { cartesian: { x: t.x, y: t.y } },
  });
}

/** A MemoryBus with every agent of `inst` answering offers with its distance to the task. */
function fleet(inst: Instance): MemoryBus {
  const bus = new MemoryBus();
  for (const agent of inst.agents) {
    answerOffers(bus, agent.id, (task) => {
      const p = task.position?.cartesian;
      return p ? distance(agent, { x: p.x ?? 0, y: p.y ?? 0 }) : undefined;
    });
  }
  return bus;
}

/** One auction per task, in arrival order, among the agents still free. */
async function sequentialAuction(inst: Instance, bus: Bus): Promise<Map<string, string>> {
  const free = new Set(inst.agents.map((a) => a.id));
  const plan = new Map<string, string>();
  for (const i of inst.order) {
    const t = inst.tasks[i]!;
    const task = toTask(t);
    const r = await runAuction({
      bus,
      task,
      candidates: [...free],
      coordinatorId: "bench",
      windowMs: 10_000,
    });
    if (r.winner === undefined || r.closedBy !== "all-bid") {
      throw new Error(`auction for ${t.id}: ${r.closedBy}`);
    }
    free.delete(r.winner);
    plan.set(t.id, r.winner);
  }
  return plan;
}

/** Every task auctioned at once, the batch allocated over the bids. */
async function batchAuction(inst: Instance, bus: Bus): Promise<Map<string, string>> {
  const tasks = inst.order.map((i) => toTask(inst.tasks[i]!));
  const candidates = inst.agents.map((a) => a.id);
  const { awards } = await runBatchAuction({
    bus,
    tasks,
    candidates,
    coordinatorId: "bench",
    windowMs: 10_000,
  });
  return new Map([...awards].map(([t, a]) => [t, a.agentId]));
}

/** The arrival order cut into batches, each allocated exactly among the agents still free. */
function arrivalBatches(inst: Instance, batch: number): Map<string, string> {
  let free = inst.agents;
  const plan = new Map<string, string>();
  for (let s = 0; s < SIZE; s += batch) {
    const chunk = inst.order.slice(s, s + batch).map((i) => inst.tasks[i]!);
    const part = allocateBatch(chunk, free, distance, { mode: "exact" });
    for (const [t, a] of part) plan.set(t, a);
    const used = new Set(part.values());
    free = free.filter((a) => !used.has(a.id));
  }
  return plan;
}

export async function run(progress: (m: string) => void = () => {}): Promise<Row[]> {
  const ratios = {
    auction: [] as number[],
    recontract: [] as number[],
    arrival: [] as number[],
    full: [] as number[],
  };
  const exactMs: number[] = [];
  const hungarianMs: number[] = [];
  for (let k = 0; k < INSTANCES; k++) {
    const inst = instance(k + 1);
    const matrix = inst.tasks.map((t) => inst.agents.map((a) => distance(t, a)));
    let t0 = performance.now();
    const optimal = hungarian(matrix).total;
    hungarianMs.push(performance.now() - t0);

    const bus = fleet(inst);
    let auction: number;
    let full: number;
    try {
      auction = total(inst, await sequentialAuction(inst, bus));
      full = total(inst, await batchAuction(inst, bus));
    } finally {
      await bus.close();
    }
    const arrived = inst.order.map((i) => inst.tasks[i]!);
    // The one-task auctions must be exactly the greedy sequential allocation in the same order.
    const greedy = total(
      inst,
      allocateBatch(arrived, inst.agents, distance, { mode: "greedy", maxSwapPasses: 0 }),
    );
    if (Math.abs(greedy - auction) > 1e-6 * auction) throw new Error(`auction ${auction} ≠ greedy ${greedy}`);
    const recontract = total(inst, allocateBatch(arrived, inst.agents, distance, { mode: "greedy" }));
    const arrival = total(inst, arrivalBatches(inst, ARRIVAL_BATCH));
    t0 = performance.now();
    allocateBatch(inst.tasks, inst.agents, distance, { mode: "exact" });
    exactMs.push(performance.now() - t0);

    ratios.auction.push(auction / optimal);
    ratios.recontract.push(recontract / optimal);
    ratios.arrival.push(arrival / optimal);
    ratios.full.push(full / optimal);
    progress(
      `instance ${k + 1}/${INSTANCES}: auction ${(auction / optimal).toFixed(3)}×, ` +
        `re-contracted ${(recontract / optimal).toFixed(3)}×, batches of ${ARRIVAL_BATCH} ` +
        `${(arrival / optimal).toFixed(3)}×, batch auction ${(full / optimal).toFixed(3)}×`,
    );
  }
  const dims = `${SIZE}×${SIZE}`;
  return [
    // What the dispatcher does when the tasks wait together (batchAuctions, the default): the target row.
    lowerIsBetter(SUITE, `dispatcher batch auction / optimal, ${dims}`, mean(ratios.full), "×", 1),
    lowerIsBetter(SUITE, `one-task auctions in a row / optimal, ${dims}`, mean(ratios.auction), "×", 1),
    lowerIsBetter(SUITE, `greedy + re-contracting / optimal, ${dims}`, mean(ratios.recontract), "×", 1),
    lowerIsBetter(
      SUITE,
      `exact batches of ${ARRIVAL_BATCH} / optimal, ${dims}`,
      mean(ratios.arrival),
      "×",
      1,
    ),
    lowerIsBetter(
      SUITE,
      `allocateBatch exact ${dims} (vs bare hungarian)`,
      mean(exactMs),
      "ms",
      mean(hungarianMs),
    ),
  ];
}
