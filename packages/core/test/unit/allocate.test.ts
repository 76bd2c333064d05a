import assert from "node:assert/strict";
import fc from "fast-check";
import { byId, pickLeastLoaded } from "../../src/dispatcher/allocate.js";
import type { AgentRecord, Point } from "../../src/types.js";
import { agentRecord } from "./dispatcher-helpers.js";

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
