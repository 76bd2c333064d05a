/**
 * The optimal assignment (minimum total cost) of rows to columns: the Hungarian method with
 * potentials, O(n²·m). Swarmlink uses it as the yardstick for auction allocations, and it is exact,
 * so small enough instances can also be allocated with it outright.
 *
 * @param cost cost[i][j] of giving task i to agent j; rows ≤ columns; `Infinity` forbids a pair.
 * @returns assignment[i] = the column given to row i, and the total cost.
 *
 * @example
 * ```ts
 * hungarian([[4, 1, 3], [2, 0, 5], [3, 2, 2]]); // { assignment: [1, 0, 2], total: 5 }
 * ```
 */
export function hungarian(cost: readonly (readonly number[])[]): { assignment: number[]; total: number } {
  const n = cost.length;
  if (n === 0) return { assignment: [], total: 0 };
  const m = cost[0]!.length;
  if (m < n) throw new RangeError(`need at least as many columns as rows (${n} rows, ${m} columns)`);
  // 1-based arrays with a sentinel column 0, as in the classic potentials formulation.
  const u = new Float64Array(n + 1);
  const v = new Float64Array(m + 1);
  const p = new Int32Array(m + 1); // p[j]: row matched to column j (0: none)
  const way = new Int32Array(m + 1);
  const minv = new Float64Array(m + 1);
  const used = new Uint8Array(m + 1);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    minv.fill(Number.POSITIVE_INFINITY);
    used.fill(0);
    do {
      used[j0] = 1;
      const i0 = p[j0]!;
      let delta = Number.POSITIVE_INFINITY;
      let j1 = 0;
      const row = cost[i0 - 1]!;
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue;
        const cur = row[j - 1]! - u[i0]! - v[j]!;
        if (cur < minv[j]!) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j]! < delta) {
          delta = minv[j]!;
          j1 = j;
        }
      }
      if (!Number.isFinite(delta)) throw new RangeError(`row ${i0 - 1} has no finite-cost column left`);
      for (let j = 0; j <= m; j++) {
        if (used[j]) {
          u[p[j]!] = u[p[j]!]! + delta;
          v[j] = v[j]! - delta;
        } else {
          minv[j] = minv[j]! - delta;
        }
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0]!;
      p[j0] = p[j1]!;
      j0 = j1;
    } while (j0 !== 0);
  }
  const assignment = new Array<number>(n).fill(-1);
  for (let j = 1; j <= m; j++) if (p[j]! > 0) assignment[p[j]! - 1] = j - 1;
  let total = 0;
  for (let i = 0; i < n; i++) total += cost[i]![assignment[i]!]!;
  return { assignment, total };
}
