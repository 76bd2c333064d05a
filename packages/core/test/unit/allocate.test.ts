import assert from "node:assert/strict";
import { swarmlink } from "@swarmlink/protocol";
import fc from "fast-check";
import { prng } from "../../bench/auction-lib.js";
import { byId, capableAgents, nearestIdle, pickLeastLoaded } from "../../src/dispatcher/allocate.js";
import { AgentIndex } from "../../src/registry/mod.js";
import type { AgentRecord, Point } from "../../src/types.js";
import { agentRecord } from "./dispatcher-helpers.js";
import { info, T0 } from "./registry-helpers.js";

const point = fc.record({
  x: fc.integer({ min: -5, max: 5 }),
  y: fc.integer({ min: -5, max: 5 }),
  z: fc.constant(0),
});

const agents = fc.uniqueArray(
  fc.record({
    id: fc.constantFrom("a", "b", "c", "d", "e", "f"),
    credits: fc.integer({ min: 1, max: 4 }),
    held: fc.integer({ min: 0, max: 5 }),
    position: fc.option(point, { nil: undefined }),
  }),
  { selector: (a) => a.id, maxLength: 6 },
);

/** The rule as the docs state it, by sorting: free credit, least loaded, nearest (none last), id. */
function reference(
  list: AgentRecord[],
  held: Map<string, number>,
  at: Point | undefined,
): string | undefined {
  const dist = (p: Point | undefined) =>
    at && p ? Math.hypot(at.x - p.x, at.y - p.y, (at.z ?? 0) - (p.z ?? 0)) : Number.POSITIVE_INFINITY;
  const free = list.filter((a) => a.credits - held.get(a.id)! > 0);
  free.sort(
    (a, b) =>
      held.get(a.id)! / a.credits - held.get(b.id)! / b.credits ||
      dist(a.position) - dist(b.position) ||
      (a.id < b.id ? -1 : 1),
  );
  return free[0]?.id;
}

describe("pickLeastLoaded", () => {
  it("chooses as the rule says: a free credit, least loaded, then nearest, then by id", () => {
    fc.assert(
      fc.property(agents, fc.option(point, { nil: undefined }), (spec, at) => {
        const list = spec.map(({ id, credits, position }) => agentRecord({ id, credits, position }));
        const held = new Map<string, number>(spec.map((a) => [a.id, a.held]));
        const load = (id: string) => held.get(id)!;
        const expected = reference(list, held, at);
        assert.equal(pickLeastLoaded(list, load, at)?.id, expected);
        // In id order, the walk may stop at the first idle agent: the same choice.
        assert.equal(pickLeastLoaded([...list].sort(byId), load, at, true)?.id, expected);
      }),
      { numRuns: 2_000 },
    );
  });
});

describe("nearestIdle", () => {
  it("finds in the registry's index the agent a scan of every capable agent would choose, when one is idle", () => {
    fc.assert(
      fc.property(
        fc.record({
          seed: fc.integer(),
          agents: fc.integer({ min: 1, max: 900 }),
          /** Share of agents holding a task: from an idle fleet to one with none idle. */
          busy: fc.double({ min: 0, max: 1, noNaN: true }),
          /** Coordinates on a grid of this many steps: few steps, many ties. */
          steps: fc.integer({ min: 1, max: 60 }),
          /** Height: none, or some (distance in space then differs from the plane's). */
          z: fc.constantFrom(0, 3, 40),
          cellSizeM: fc.constantFrom(1, 10, 50),
          at: fc.record({ x: fc.integer({ min: -10, max: 70 }), y: fc.integer({ min: -10, max: 70 }) }),
          caps: fc.subarray(["pick", "lift"]),
          zone: fc.constantFrom(undefined, "A"),
        }),
        (c) => {
          const next = prng(c.seed); // a fleet of hundreds from one fast-check seed
          const index = new AgentIndex({ cellSizeM: c.cellSizeM });
          const held = new Map<string, number>();
          for (let i = 0; i < c.agents; i++) {
            const id = `a${String(i).padStart(3, "0")}`;
            const caps = ["pick", "lift"].filter(() => next() < 0.8);
            const base = info(id, { caps, attrs: { zone: next() < 0.7 ? "A" : "B" } });
            const placed = next() < 0.9;
            const x = Math.floor(next() * c.steps);
            const y = Math.floor(next() * c.steps);
            const position = placed ? { cartesian: { x, y, z: Math.floor(next() * (c.z + 1)) } } : undefined;
            const credits = Math.floor(next() * 3); // 0: not capable at all
            index.applyRecord(id, { ...base, descriptor: { ...base.descriptor, credits, position } }, i + 1);
            if (next() < 0.05) {
              index.applyPresence({
                agentId: id,
                status: "offline",
                epoch: 1,
                seq: 1,
                reason: "t",
                atMs: T0,
              });
            }
            held.set(id, next() < c.busy ? 1 + Math.floor(next() * 2) : 0);
          }
          const load = (id: string) => held.get(id) ?? 0;
          const task = new swarmlink.v1.Task({
            id: "t",
            kind: "k",
            capabilities: c.caps,
            attributes: c.zone ? { zone: c.zone } : {},
          });
          const at: Point = { x: c.at.x, y: c.at.y, z: 0 };
          const capable = capableAgents(task, index);
          const chosen = nearestIdle(task, at, index, load);
          const idlePlaced = capable.filter((a) => a.position && load(a.id) === 0);
          if (idlePlaced.length === 0) {
            assert.equal(chosen, undefined, "no idle agent with a position: the scan decides");
            return;
          }
          // Under 1,024 agents the last ask sees them all: an idle one is always found.
          assert.ok(chosen, "an idle agent with a position exists");
          assert.equal(chosen.id, pickLeastLoaded(capable, load, at)?.id);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("asks again when an agent left out of the answer could be as near in space", () => {
    const index = new AgentIndex({ cellSizeM: 10 });
    const add = (id: string, x: number, y: number, z: number) => {
      const base = info(id, { caps: ["pick"] });
      const position = { cartesian: { x, y, z } };
      index.applyRecord(id, { ...base, descriptor: { ...base.descriptor, position } }, index.size + 1);
    };
    // The first ask (16 nearest on the plane) holds 14 busy agents at 1 m, "b9" idle at 3 m on
    // the plane but 5 m in space, and "a15", busy, at 5 m; "a16", idle at 5 m, is left out (a
    // tie on the plane goes to the lower id). In space "a16" ties with "b9" and wins by id.
    const busy = new Set<string>();
    for (let i = 1; i <= 14; i++) {
      const id = `a${String(i).padStart(2, "0")}`;
      add(id, 0, 1, 0);
      busy.add(id);
    }
    add("b9", 3, 0, 4);
    add("a15", 5, 0, 0);
    busy.add("a15");
    add("a16", 0, 5, 0);
    const load = (id: string) => (busy.has(id) ? 1 : 0);
    const task = new swarmlink.v1.Task({ id: "t", kind: "k", capabilities: ["pick"] });
    const at = { x: 0, y: 0, z: 0 };
    assert.equal(pickLeastLoaded(capableAgents(task, index), load, at)?.id, "a16");
    assert.equal(nearestIdle(task, at, index, load)?.id, "a16");
  });
});
