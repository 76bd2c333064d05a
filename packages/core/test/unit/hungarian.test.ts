import assert from "node:assert/strict";
import { hungarian } from "@swarmlink/core/internal";
import fc from "fast-check";

/** Every assignment of n rows to distinct columns, for checking small instances exhaustively. */
function bruteForce(cost: number[][]): number {
  const n = cost.length;
  const m = cost[0]!.length;
  let best = Number.POSITIVE_INFINITY;
  const used = new Array<boolean>(m).fill(false);
  const go = (i: number, sum: number) => {
    if (sum >= best) return;
    if (i === n) {
      best = sum;
      return;
    }
    for (let j = 0; j < m; j++) {
      if (used[j]) continue;
      used[j] = true;
      go(i + 1, sum + cost[i]![j]!);
      used[j] = false;
    }
  };
  go(0, 0);
  return best;
}

describe("hungarian", () => {
  it("finds the optimal assignment of a small square instance", () => {
    const { assignment, total } = hungarian([
      [4, 1, 3],
      [2, 0, 5],
      [3, 2, 2],
    ]);
    assert.deepEqual(assignment, [1, 0, 2]);
    assert.equal(total, 5);
  });

  it("matches brute force on random rectangular instances", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }).chain((n) =>
          fc.integer({ min: n, max: 6 }).chain((m) =>
            fc.array(fc.array(fc.integer({ min: 0, max: 100 }), { minLength: m, maxLength: m }), {
              minLength: n,
              maxLength: n,
            }),
          ),
        ),
        (cost) => {
          const { assignment, total } = hungarian(cost);
          assert.equal(new Set(assignment).size, assignment.length, "a column used twice");
          assert.equal(total, bruteForce(cost));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("refuses fewer columns than rows", () => {
    assert.throws(() => hungarian([[1], [2]]), RangeError);
  });
});
