import type { Point } from "../types.js";

/**
 * Cell coordinates are clamped to ±2^14 so that a cell packs into a key below 2^30: a small
 * integer, which a Map hashes fast (a larger number is a heap double, several times slower). With
 * 10 m cells that spans ±163 km; agents beyond share the edge cells, which stays correct (exact
 * distances decide) but slower.
 */
const SPAN = 2 ** 14;
const ROW = 2 ** 15;
const clampCell = (c: number): number => Math.max(-SPAN, Math.min(SPAN - 1, c));
const keyOf = (cx: number, cy: number): number => (cx + SPAN) * ROW + (cy + SPAN);

/** A hit of a spatial search: an id and its squared distance to the query point. */
export interface GridHit {
  id: string;
  d2: number;
}

/** One agent on the grid: where it is, its cell, and its slot in that cell's array. */
interface Placed {
  readonly id: string;
  x: number;
  y: number;
  cx: number;
  cy: number;
  slot: number;
}

/**
 * A uniform grid over the site's x/y plane (z is ignored: searches are 2D). Radius and box searches
 * visit only the cells they overlap; k-nearest visits rings of cells outwards from the query point
 * and stops once no unvisited cell can hold anything nearer than the k-th found. Whenever visiting
 * cells would cost more than visiting every occupied cell (a huge radius, a sparse fleet far apart),
 * the search walks the occupied cells instead, so no query costs more than about a full scan. Cells
 * hold their agents' coordinates inline, so a search reads no map per agent.
 */
export class SpatialGrid {
  readonly cellSizeM: number;
  #cells = new Map<number, Placed[]>();
  #placed = new Map<string, Placed>();

  constructor(cellSizeM: number) {
    this.cellSizeM = cellSizeM;
  }

  /** Agents placed on the grid. */
  get size(): number {
    return this.#placed.size;
  }

  /** Cells holding at least one agent. */
  get occupiedCells(): number {
    return this.#cells.size;
  }

  /** Places `id` at `p`, moving it if it was placed; `undefined` takes it off the grid. */
  set(id: string, p: Point | undefined): void {
    const old = this.#placed.get(id);
    if (!p) {
      if (old) this.delete(id);
      return;
    }
    const cx = this.#cell(p.x);
    const cy = this.#cell(p.y);
    if (old && old.cx === cx && old.cy === cy) {
      old.x = p.x;
      old.y = p.y;
      return;
    }
    if (old) this.#unlink(old);
    const placed = old ?? { id, x: 0, y: 0, cx, cy, slot: 0 };
    Object.assign(placed, { x: p.x, y: p.y, cx, cy });
    this.#placed.set(id, placed);
    const key = keyOf(cx, cy);
    const cell = this.#cells.get(key);
    if (cell) {
      placed.slot = cell.length;
      cell.push(placed);
    } else {
      placed.slot = 0;
      this.#cells.set(key, [placed]);
    }
  }

  delete(id: string): void {
    const old = this.#placed.get(id);
    if (!old) return;
    this.#unlink(old);
    this.#placed.delete(id);
  }

  /** Calls `visit` for every agent within `radius` of (x, y), with its squared distance, in no order. */
  within(x: number, y: number, radius: number, visit: (id: string, d2: number) => void): void {
    const r2 = radius * radius;
    // `d2 <= r2` is what decides (a full scan applies the same test), but in floating point it can
    // take a point a hair outside [x - r, x + r]: a tiny offset squares to 0 (underflow) or a
    // difference rounds down. Widening the cells' window by more than that error keeps the grid
    // from missing such a point on the far side of a cell edge.
    const pad = radius + (Math.abs(x) + Math.abs(y) + radius) * 2 ** -48 + 2 ** -530;
    this.#scan(x - pad, y - pad, x + pad, y + pad, (p) => {
      const d2 = (p.x - x) ** 2 + (p.y - y) ** 2;
      if (d2 <= r2) visit(p.id, d2);
    });
  }

  /** Calls `visit` for every agent inside the box (edges included), in no particular order. */
  inBox(minX: number, minY: number, maxX: number, maxY: number, visit: (id: string) => void): void {
    this.#scan(minX, minY, maxX, maxY, (p) => {
      if (p.x >= minX && p.x <= maxX && p.y >= minY && p.y <= maxY) visit(p.id);
    });
  }

  /**
   * The `k` agents nearest to (x, y) among those `accept` takes, nearest first (ties by id).
   */
  nearest(x: number, y: number, k: number, accept: (id: string) => boolean): GridHit[] {
    const best = new NearestK(k);
    if (k <= 0 || this.#placed.size === 0) return [];
    const s = this.cellSizeM;
    const pcx = this.#cell(x);
    const pcy = this.#cell(y);
    const consider = (p: Placed) => {
      const d2 = (p.x - x) ** 2 + (p.y - y) ** 2;
      if (best.wants(p.id, d2) && accept(p.id)) best.add(p.id, d2);
    };
    // After ring r, anything unvisited is farther than r * s. The margin keeps rounding (squares of
    // tiny or huge numbers) from cutting the search short: a tie there must still be visited.
    let budget = this.#cells.size;
    for (let r = 0; ; r++) {
      const ringCells = r === 0 ? 1 : 8 * r;
      if (ringCells > budget) {
        // Cheaper to finish by walking the occupied cells beyond this ring.
        for (const cell of this.#cells.values()) {
          const { cx, cy } = cell[0]!;
          if (Math.max(Math.abs(cx - pcx), Math.abs(cy - pcy)) >= r) for (const p of cell) consider(p);
        }
        break;
      }
      budget -= ringCells;
      this.#ring(pcx, pcy, r, consider);
      if (best.full && best.worst < (r * s) ** 2 * (1 - 1e-9)) break;
    }
    return best.sorted();
  }

  #cell(v: number): number {
    return clampCell(Math.floor(v / this.cellSizeM));
  }

  /** Takes `p` out of its cell's array (swapping the last one into its slot). */
  #unlink(p: Placed): void {
    const key = keyOf(p.cx, p.cy);
    const cell = this.#cells.get(key);
    if (!cell) return;
    const last = cell.pop()!;
    if (last !== p) {
      cell[p.slot] = last;
      last.slot = p.slot;
    }
    if (cell.length === 0) this.#cells.delete(key);
  }

  #ring(pcx: number, pcy: number, r: number, visit: (p: Placed) => void): void {
    const each = (cx: number, cy: number) => {
      if (cx < -SPAN || cx >= SPAN || cy < -SPAN || cy >= SPAN) return;
      const cell = this.#cells.get(keyOf(cx, cy));
      if (cell) for (const p of cell) visit(p);
    };
    if (r === 0) {
      each(pcx, pcy);
      return;
    }
    for (let cx = pcx - r; cx <= pcx + r; cx++) {
      each(cx, pcy - r);
      each(cx, pcy + r);
    }
    for (let cy = pcy - r + 1; cy <= pcy + r - 1; cy++) {
      each(pcx - r, cy);
      each(pcx + r, cy);
    }
  }

  /** Visits every agent in a cell overlapping the rectangle (the caller checks exact bounds). */
  #scan(minX: number, minY: number, maxX: number, maxY: number, visit: (p: Placed) => void): void {
    if (!(minX <= maxX && minY <= maxY)) return;
    const x0 = this.#cell(minX);
    const x1 = this.#cell(maxX);
    const y0 = this.#cell(minY);
    const y1 = this.#cell(maxY);
    if ((x1 - x0 + 1) * (y1 - y0 + 1) > this.#cells.size) {
      for (const cell of this.#cells.values()) {
        const { cx, cy } = cell[0]!;
        if (cx >= x0 && cx <= x1 && cy >= y0 && cy <= y1) for (const p of cell) visit(p);
      }
      return;
    }
    for (let cx = x0; cx <= x1; cx++) {
      for (let cy = y0; cy <= y1; cy++) {
        const cell = this.#cells.get(keyOf(cx, cy));
        if (cell) for (const p of cell) visit(p);
      }
    }
  }
}

/** The k best (smallest d2, then smallest id) seen so far, kept sorted; k is small. */
export class NearestK {
  readonly k: number;
  #hits: GridHit[] = [];

  constructor(k: number) {
    this.k = k;
  }

  get full(): boolean {
    return this.#hits.length >= this.k;
  }

  /** Squared distance of the k-th best; Infinity until full. */
  get worst(): number {
    return this.full ? this.#hits[this.#hits.length - 1]!.d2 : Number.POSITIVE_INFINITY;
  }

  /** Whether (id, d2) would make the cut: check before an expensive filter. */
  wants(id: string, d2: number): boolean {
    if (!this.full) return true;
    const last = this.#hits[this.#hits.length - 1]!;
    return d2 < last.d2 || (d2 === last.d2 && id < last.id);
  }

  add(id: string, d2: number): void {
    if (this.k <= 0 || !this.wants(id, d2)) return;
    let i = this.#hits.length;
    while (i > 0 && before(id, d2, this.#hits[i - 1]!)) i--;
    this.#hits.splice(i, 0, { id, d2 });
    if (this.#hits.length > this.k) this.#hits.pop();
  }

  sorted(): GridHit[] {
    return this.#hits.slice();
  }
}

function before(id: string, d2: number, h: GridHit): boolean {
  return d2 < h.d2 || (d2 === h.d2 && id < h.id);
}
