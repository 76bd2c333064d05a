import assert from "node:assert/strict";
import { isSwarmError } from "@swarmlink/protocol";
import fc from "fast-check";
import { hungarian } from "../../src/allocation/hungarian.js";
import { allocateBatch, type BatchAgent, type BatchTask } from "../../src/dispatcher/auction/mod.js";

interface Instance {
  tasks: (BatchTask & { i: number })[];
  agents: (BatchAgent & { j: number })[];
  cost: number[][];
}

/** Random instances: costs 0–100 or forbidden, credits 0–3, priorities 0–9. */
function instances(opts: { credits?: fc.Arbitrary<number>; forbid?: boolean } = {}): fc.Arbitrary<Instance> {
  const cell = opts.forbid
    ? fc.oneof(
        { weight: 4, arbitrary: fc.integer({ min: 0, max: 100 }) },
        fc.constant(Number.POSITIVE_INFINITY),
      )
    : fc.integer({ min: 0, max: 100 });
  return fc
    .record({ n: fc.integer({ min: 1, max: 7 }), m: fc.integer({ min: 1, max: 7 }) })
    .chain(({ n, m }) =>
      fc.record({
        priorities: fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }),
        credits: fc.array(opts.credits ?? fc.integer({ min: 0, max: 3 }), { minLength: m, maxLength: m }),
        cost: fc.array(fc.array(cell, { minLength: m, maxLength: m }), { minLength: n, maxLength: n }),
      }),
    )
    .map(({ priorities, credits, cost }) => ({
      tasks: priorities.map((priority, i) => ({ id: `t${i}`, priority, i })),
      agents: credits.map((credits, j) => ({ id: `a${j}`, credits, j })),
      cost,
    }));
}

const costOf = (x: Instance) => (t: { i: number }, a: { j: number }) => x.cost[t.i]![a.j]!;

function total(x: Instance, plan: Map<string, string>): number {
  let sum = 0;
  for (const [t, a] of plan) sum += x.cost[Number(t.slice(1))]![Number(a.slice(1))]!;
  return sum;
}

/** Checks credits and feasibility; returns tasks per agent. */
function checkPlan(x: Instance, plan: Map<string, string>): Map<string, number> {
  const load = new Map<string, number>();
  for (const [t, a] of plan) {
    load.set(a, (load.get(a) ?? 0) + 1);
    assert.ok(Number.isFinite(x.cost[Number(t.slice(1))]![Number(a.slice(1))]!), `${t} → ${a} is forbidden`);
  }
  for (const agent of x.agents)
    assert.ok((load.get(agent.id) ?? 0) <= agent.credits, `${agent.id} over credit`);
  return load;
}

describe("allocateBatch", () => {
  it("exact mode reaches Hungarian's optimum when every agent has one credit", () => {
    fc.assert(
      fc.property(
        instances({ credits: fc.constant(1) }).filter((x) => x.tasks.length <= x.agents.length),
        (x) => {
          const plan = allocateBatch(x.tasks, x.agents, costOf(x), { mode: "exact" });
          checkPlan(x, plan);
          assert.equal(plan.size, x.tasks.length);
          assert.equal(total(x, plan), hungarian(x.cost).total);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("exact mode reaches the optimum over credit slots when agents take several tasks", () => {
    fc.assert(
      fc.property(instances(), (x) => {
        const slots = x.agents.flatMap((a) => Array<number>(a.credits).fill(a.j));
        fc.pre(slots.length >= x.tasks.length);
        const plan = allocateBatch(x.tasks, x.agents, costOf(x), { mode: "exact" });
        checkPlan(x, plan);
        assert.equal(plan.size, x.tasks.length);
        const expanded = x.cost.map((row) => slots.map((j) => row[j]!));
        assert.equal(total(x, plan), hungarian(expanded).total);
      }),
      { numRuns: 300 },
    );
  });

  it("greedy and exact never give an agent more tasks than its credits, nor a forbidden pair", () => {
    fc.assert(
      fc.property(
        instances({ forbid: true }),
        fc.constantFrom("greedy", "exact") as fc.Arbitrary<"greedy" | "exact">,
        fc.integer({ min: 0, max: 5 }),
        (x, mode, maxSwapPasses) => {
          checkPlan(x, allocateBatch(x.tasks, x.agents, costOf(x), { mode, maxSwapPasses }));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("greedy's re-contracting never costs more than the plain sequential auction", () => {
    fc.assert(
      fc.property(instances(), (x) => {
        const plain = allocateBatch(x.tasks, x.agents, costOf(x), { mode: "greedy", maxSwapPasses: 0 });
        const swapped = allocateBatch(x.tasks, x.agents, costOf(x), { mode: "greedy" });
        assert.deepEqual([...swapped.keys()].sort(), [...plain.keys()].sort(), "the same tasks are placed");
        assert.ok(total(x, swapped) <= total(x, plain));
      }),
      { numRuns: 300 },
    );
  });

  it("greedy gives each task, most urgent first, to its cheapest agent with a credit left", () => {
    const tasks = [
      { id: "low", priority: 0 },
      { id: "high", priority: 5 },
      { id: "mid", priority: 2 },
    ];
    const agents = [
      { id: "b", credits: 1 },
      { id: "a", credits: 1 },
    ];
    // Everyone prefers b then a; equal costs go to the lower id.
    const cost = (t: BatchTask, ag: BatchAgent) => (ag.id === "b" ? 1 : t.id === "mid" ? 1 : 2);
    const plan = allocateBatch(tasks, agents, cost, { mode: "greedy", maxSwapPasses: 0 });
    assert.deepEqual(
      [...plan],
      [
        ["high", "b"],
        ["mid", "a"],
      ],
    );
  });

  it("exact mode places the most urgent tasks when credits run short", () => {
    const tasks = [
      { id: "low", priority: 0 },
      { id: "urgent", priority: 9 },
    ];
    const agents = [{ id: "a", credits: 1 }];
    // Cheaper for the low-priority task, but the urgent one must win the only credit.
    const plan = allocateBatch(tasks, agents, (t) => (t.id === "low" ? 1 : 50), { mode: "exact" });
    assert.deepEqual([...plan], [["urgent", "a"]]);
  });

  it("leaves out tasks nobody can take, and returns nothing for no tasks or no agents", () => {
    const tasks = [{ id: "t1" }, { id: "t2" }];
    const agents = [{ id: "a", credits: 2 }];
    const cost = (t: BatchTask) => (t.id === "t2" ? Number.POSITIVE_INFINITY : 1);
    for (const mode of ["greedy", "exact", "auto"] as const) {
      assert.deepEqual([...allocateBatch(tasks, agents, cost, { mode })], [["t1", "a"]], mode);
    }
    assert.equal(allocateBatch([], agents, cost).size, 0);
    assert.equal(allocateBatch(tasks, [], cost).size, 0);
  });

  it("refuses an exact problem over maxExactCells, which auto allocates greedily instead", () => {
    const tasks = Array.from({ length: 20 }, (_, i) => ({ id: `t${i}` }));
    const agents = Array.from({ length: 20 }, (_, j) => ({ id: `a${j}`, credits: 1 }));
    const cost = () => 1;
    assert.throws(
      () => allocateBatch(tasks, agents, cost, { mode: "exact", maxExactCells: 100 }),
      (err) => isSwarmError(err, "E_TOO_LARGE"),
    );
    assert.equal(allocateBatch(tasks, agents, cost, { mode: "auto", maxExactCells: 100 }).size, 20);
  });

  it("refuses duplicate ids, bad credits, negative costs and unknown modes", () => {
    const agents = [{ id: "a", credits: 1 }];
    const code = (c: string) => (err: unknown) => isSwarmError(err) && err.code === c;
    assert.throws(() => allocateBatch([{ id: "t" }, { id: "t" }], agents, () => 1), code("E_INVALID"));
    assert.throws(() => allocateBatch([{ id: "t" }], [{ id: "a", credits: -1 }], () => 1), code("E_INVALID"));
    assert.throws(() => allocateBatch([{ id: "t" }], agents, () => -1), code("E_INVALID"));
    const mode = "best" as unknown as "auto";
    assert.throws(() => allocateBatch([{ id: "t" }], agents, () => 1, { mode }), code("E_CONFIG"));
  });
});
