import type { AgentQuery, AgentRecord, PresenceState } from "../types.js";
import { type GridHit, NearestK, type SpatialGrid } from "./grid.js";
import { checkQuery, statusesOf } from "./query-check.js";

/** What a query needs of the index. */
export interface QueryView<A extends AgentRecord> {
  get(id: string): A | undefined;
  all(): Iterable<A>;
  /** Ids with this capability. */
  capability(cap: string): ReadonlySet<string>;
  /** Ids in this presence state. */
  status(state: PresenceState): ReadonlySet<string>;
  readonly grid: SpatialGrid;
}

const byId = (a: AgentRecord, b: AgentRecord): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * Runs a query against the index. Candidates come from the smallest of the inverted sets the query
 * names (each required capability; the status when it names one), or from the spatial grid when
 * that is estimated to be smaller; every other filter is checked per candidate. Results are nearest
 * first for `nearest`, else in id order; `limit` cuts the list.
 *
 * @throws SwarmError `E_INVALID` for a malformed query (see `checkQuery`).
 */
export function runQuery<A extends AgentRecord>(view: QueryView<A>, q: AgentQuery): A[] {
  checkQuery(q);
  const statuses = statusesOf(q);
  const sets: ReadonlySet<string>[] = [];
  for (const cap of new Set(q.capabilities ?? [])) sets.push(view.capability(cap));
  if (statuses?.length === 1) sets.push(view.status(statuses[0]!));
  sets.sort((a, b) => a.size - b.size);
  const driver = sets[0];
  if (driver?.size === 0) return [];
  // Candidates drawn from the driver need not be checked against it; any others must be.
  const acceptRest = acceptor(view, q, sets.slice(1), statuses);
  const acceptAll = acceptor(view, q, sets, statuses);

  if (q.nearest) {
    const { x, y, k } = q.nearest;
    let hits: GridHit[];
    if (driver && driver.size * 4 <= view.grid.size) {
      const best = new NearestK(k);
      for (const id of driver) {
        const p = view.get(id)?.position;
        if (!p) continue;
        const d2 = (p.x - x) ** 2 + (p.y - y) ** 2;
        if (best.wants(id, d2) && acceptRest(id)) best.add(id, d2);
      }
      hits = best.sorted();
    } else {
      hits = view.grid.nearest(x, y, k, (id) => acceptAll(id) !== undefined);
    }
    const found = hits.map((h) => view.get(h.id)!);
    return q.limit !== undefined ? found.slice(0, q.limit) : found;
  }

  const out: A[] = [];
  const spatial = spatialEstimate(view.grid, q);
  if (spatial !== undefined && (!driver || spatial < driver.size)) {
    const take = (id: string) => {
      const a = acceptAll(id);
      if (a) out.push(a);
    };
    if (q.near) view.grid.within(q.near.x, q.near.y, q.near.radius, take);
    else view.grid.inBox(q.box!.minX, q.box!.minY, q.box!.maxX, q.box!.maxY, take);
  } else if (driver) {
    for (const id of driver) {
      const a = acceptRest(id);
      if (a) out.push(a);
    }
  } else {
    for (const a of view.all()) if (acceptRest(a.id)) out.push(a);
  }
  out.sort(byId);
  return q.limit !== undefined && out.length > q.limit ? out.slice(0, q.limit) : out;
}

/** The filters (but the sets left out), as one check: the agent if it passes, else undefined. */
function acceptor<A extends AgentRecord>(
  view: QueryView<A>,
  q: AgentQuery,
  others: ReadonlySet<string>[],
  statuses: PresenceState[] | undefined,
): (id: string) => A | undefined {
  const attrs = Object.entries(q.attributes ?? {});
  const multiStatus = statuses && statuses.length > 1 ? new Set(statuses) : undefined;
  const { near, box } = q;
  const r2 = near ? near.radius * near.radius : 0;
  return (id) => {
    for (const set of others) if (!set.has(id)) return undefined;
    const a = view.get(id);
    if (!a) return undefined;
    if (multiStatus && !multiStatus.has(a.status)) return undefined;
    for (const [k, v] of attrs)
      if (!Object.hasOwn(a.attributes, k) || a.attributes[k] !== v) return undefined;
    if (near || box || q.nearest) {
      const p = a.position;
      if (!p) return undefined;
      if (near && (p.x - near.x) ** 2 + (p.y - near.y) ** 2 > r2) return undefined;
      if (box && (p.x < box.minX || p.x > box.maxX || p.y < box.minY || p.y > box.maxY)) return undefined;
    }
    return a;
  };
}

/** About how many agents a radius or box search visits; undefined when the query has neither. */
function spatialEstimate(grid: SpatialGrid, q: AgentQuery): number | undefined {
  let span: { w: number; h: number } | undefined;
  if (q.near) span = { w: 2 * q.near.radius, h: 2 * q.near.radius };
  else if (q.box) span = { w: q.box.maxX - q.box.minX, h: q.box.maxY - q.box.minY };
  if (!span) return undefined;
  const s = grid.cellSizeM;
  const cells = (Math.floor(span.w / s) + 2) * (Math.floor(span.h / s) + 2);
  const occupied = Math.max(1, grid.occupiedCells);
  return Math.min(grid.size, (Math.min(cells, occupied) * grid.size) / occupied);
}
