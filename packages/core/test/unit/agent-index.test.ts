import assert from "node:assert/strict";
import { encodePayload, isSwarmError, kvKeys } from "@swarmlink/protocol";
import fc from "fast-check";
import {
  AgentIndex,
  comparePresence,
  type IndexedAgent,
  isNewerPresence,
  projectGeo,
} from "../../src/registry/mod.js";
import type { AgentQuery, PresenceEvent, PresenceState } from "../../src/types.js";
import { info, T0 } from "./registry-helpers.js";

const CAPS = ["lift", "camera", "pick", "scan", "charge"];
const STATES: PresenceState[] = ["online", "suspect", "offline"];

interface Spec {
  caps: string[];
  zone: string;
  status: PresenceState;
  at: { x: number; y: number } | undefined;
}

const coord = fc.oneof(
  fc.double({ min: -200, max: 200, noNaN: true }),
  fc.integer({ min: -20, max: 20 }).map((i) => i * 10), // exactly on cell edges
);
const spec: fc.Arbitrary<Spec> = fc.record({
  caps: fc.subarray(CAPS),
  zone: fc.constantFrom("A", "B", "C"),
  status: fc.constantFrom(...STATES),
  at: fc.option(fc.record({ x: coord, y: coord }), { nil: undefined, freq: 8 }),
});
const query: fc.Arbitrary<AgentQuery> = fc.record(
  {
    capabilities: fc.subarray(CAPS, { maxLength: 2 }),
    attributes: fc.constantFrom<Record<string, string>>({ zone: "A" }, { zone: "B" }, { zone: "Z" }, {}),
    status: fc.oneof(fc.constantFrom(...STATES), fc.subarray(STATES, { minLength: 1 })),
    near: fc.record({ x: coord, y: coord, radius: fc.double({ min: 0, max: 150, noNaN: true }) }),
    box: fc.tuple(coord, coord, coord, coord).map(([a, b, c, d]) => ({
      minX: Math.min(a, c),
      maxX: Math.max(a, c),
      minY: Math.min(b, d),
      maxY: Math.max(b, d),
    })),
    nearest: fc.record({ x: coord, y: coord, k: fc.integer({ min: 1, max: 12 }) }),
    limit: fc.integer({ min: 1, max: 20 }),
  },
  { requiredKeys: [] },
);

function build(specs: Spec[], cellSizeM: number): AgentIndex {
  const index = new AgentIndex({ cellSizeM });
  specs.forEach((s, i) => {
    const id = `a${i}`;
    index.applyRecord(id, info(id, { caps: s.caps, attrs: { zone: s.zone }, at: s.at }), i + 1);
    if (s.status !== "online") {
      index.applyPresence({ agentId: id, status: s.status, epoch: 1, seq: 1, reason: "t", atMs: T0 });
    }
  });
  return index;
}

/** The query's meaning, spelled out the slow way. */
function bruteForce(all: IndexedAgent[], q: AgentQuery): string[] {
  const statuses = q.status === undefined ? undefined : [q.status].flat();
  const d2 = (a: IndexedAgent, p: { x: number; y: number }) =>
    (a.position!.x - p.x) ** 2 + (a.position!.y - p.y) ** 2;
  let hits = all.filter((a) => {
    if (!(q.capabilities ?? []).every((c) => a.capabilities.includes(c))) return false;
    if (!Object.entries(q.attributes ?? {}).every(([k, v]) => a.attributes[k] === v)) return false;
    if (statuses && !statuses.includes(a.status)) return false;
    if ((q.near || q.box || q.nearest) && !a.position) return false;
    if (q.near && d2(a, q.near) > q.near.radius * q.near.radius) return false;
    const b = q.box;
    if (
      b &&
      (a.position!.x < b.minX || a.position!.x > b.maxX || a.position!.y < b.minY || a.position!.y > b.maxY)
    )
      return false;
    return true;
  });
  if (q.nearest) {
    const p = q.nearest;
    hits = hits
      .map((a) => ({ a, d: d2(a, p) }))
      .sort((x, y) => x.d - y.d || (x.a.id < y.a.id ? -1 : 1))
      .slice(0, p.k)
      .map((h) => h.a);
  } else {
    hits.sort((x, y) => (x.id < y.id ? -1 : 1));
  }
  return hits.slice(0, q.limit ?? hits.length).map((a) => a.id);
}

describe("AgentIndex queries", () => {
  it("agree with a brute-force filter on random fleets, for every filter and grid size", () => {
    fc.assert(
      fc.property(
        fc.array(spec, { maxLength: 120 }),
        fc.array(query, { minLength: 1, maxLength: 8 }),
        fc.constantFrom(1, 7, 10, 50),
        (specs, queries, cell) => {
          const index = build(specs, cell);
          const all = [...index.agents()];
          for (const q of queries)
            assert.deepEqual(
              index.query(q).map((a) => a.id),
              bruteForce(all, q),
              JSON.stringify(q),
            );
        },
      ),
      { numRuns: 300 },
    );
  });

  it("give a radius search the same answer through the grid as through a candidate scan, whatever the rounding", () => {
    // The property's shrunk counterexample: 5e-324 squared underflows to 0, so the distance test
    // takes the agent at (0, 0), but x ± radius lies wholly in the cell below it.
    const index = build([{ caps: ["lift"], zone: "A", status: "online", at: { x: 0, y: 0 } }], 1);
    const near = { x: 0, y: -5e-324, radius: 0 };
    const viaGrid = index.query({ near }).map((a) => a.id);
    const viaCandidates = index.query({ near, capabilities: ["lift"] }).map((a) => a.id);
    assert.deepEqual(viaCandidates, ["a0"]);
    assert.deepEqual(viaGrid, viaCandidates);
    assert.deepEqual(
      index.query({ near: { x: -1e-170, y: 0, radius: 1e-200 } }).map((a) => a.id),
      ["a0"],
      "a tiny radius whose square underflows too",
    );
  });

  it("agree on k nearest in dense fleets, where the ring search (not its fallback) does the work", () => {
    const near = fc.double({ min: -40, max: 40, noNaN: true });
    const dense = fc.record({
      caps: fc.subarray(CAPS),
      zone: fc.constant("A"),
      status: fc.constant("online" as const),
      at: fc.record({ x: near, y: near }),
    });
    const q = fc.record({ x: near, y: near, k: fc.integer({ min: 1, max: 30 }) });
    fc.assert(
      fc.property(
        fc.array(dense, { minLength: 50, maxLength: 300 }),
        fc.array(q, { maxLength: 10 }),
        fc.constantFrom(3, 5, 10),
        (specs, qs, cell) => {
          const index = build(specs, cell);
          const all = [...index.agents()];
          for (const nearest of qs) {
            for (const query of [
              { nearest },
              { nearest, capabilities: ["lift"] },
              { near: { ...nearest, radius: 15 } },
            ]) {
              assert.deepEqual(
                index.query(query).map((a) => a.id),
                bruteForce(all, query),
              );
            }
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it("still agree after agents move, change status and leave", () => {
    const moves = fc.array(
      fc.record({
        who: fc.nat(),
        at: fc.option(fc.record({ x: coord, y: coord }), { nil: undefined }),
        leave: fc.boolean(),
      }),
      { maxLength: 40 },
    );
    fc.assert(
      fc.property(
        fc.array(spec, { minLength: 1, maxLength: 80 }),
        moves,
        fc.array(query, { maxLength: 6 }),
        (specs, ms, qs) => {
          const index = build(specs, 10);
          for (const m of ms) {
            const id = `a${m.who % specs.length}`;
            if (m.leave && m.who % 5 === 0) index.remove(id);
            else if (m.at) index.move(id, { cartesian: m.at });
            else
              index.applyPresence({
                agentId: id,
                status: "offline",
                epoch: 1,
                seq: 2,
                reason: "t",
                atMs: T0,
              });
          }
          const all = [...index.agents()];
          for (const q of qs)
            assert.deepEqual(
              index.query(q).map((a) => a.id),
              bruteForce(all, q),
            );
        },
      ),
      { numRuns: 200 },
    );
  });

  it("keep their answers while the generation holds (and, but for positions, the roster generation)", () => {
    const op = fc.record({
      who: fc.nat(),
      kind: fc.constantFrom("move", "presence", "record", "heartbeat", "remove"),
      at: fc.record({ x: coord, y: coord }),
      status: fc.constantFrom(...STATES),
      caps: fc.subarray(CAPS),
    });
    // What a query answers, but for what heartbeats change (lastSeenMs, inFlight).
    const answer = (index: AgentIndex, q: AgentQuery) =>
      index.query(q).map(({ lastSeenMs: _l, inFlight: _i, ...rest }) => rest);
    // The same without positions, for a query without a position filter (the roster generation's).
    const roster = (index: AgentIndex, q: AgentQuery) => {
      const { near: _n, box: _b, nearest: _k, ...plain } = q;
      return answer(index, plain).map(({ position: _p, ...rest }) => rest);
    };
    fc.assert(
      fc.property(
        fc.array(spec, { minLength: 1, maxLength: 30 }),
        fc.array(op, { maxLength: 30 }),
        fc.array(query, { minLength: 1, maxLength: 4 }),
        (specs, ops, qs) => {
          const index = build(specs, 10);
          let seq = 10;
          let revision = 100;
          for (const o of ops) {
            const id = `a${o.who % specs.length}`;
            const before = index.generation;
            const rosterBefore = index.rosterGeneration;
            const answers = qs.map((q) => answer(index, q));
            const rosters = qs.map((q) => roster(index, q));
            let changed: boolean;
            if (o.kind === "move") changed = index.move(id, { cartesian: o.at });
            else if (o.kind === "remove") changed = index.remove(id);
            else if (o.kind === "heartbeat")
              changed = index.heartbeat(id, 1, o.who % 3, T0 + o.who) !== "unknown";
            else if (o.kind === "presence") {
              const e = { agentId: id, status: o.status, epoch: 1, seq: ++seq, reason: "t", atMs: T0 };
              changed = index.applyPresence(e);
            } else {
              const rec = info(id, { seq: ++seq, caps: o.caps, at: o.at, status: o.status });
              changed = index.applyRecord(id, rec, ++revision);
            }
            if (changed && o.kind !== "heartbeat") assert.ok(index.generation > before, o.kind);
            if (o.kind === "move") assert.equal(index.rosterGeneration, rosterBefore, "a move");
            else if (changed && o.kind !== "heartbeat")
              assert.ok(index.rosterGeneration > rosterBefore, o.kind);
            if (index.generation === before) {
              for (const [i, q] of qs.entries()) {
                assert.deepEqual(answer(index, q), answers[i], `${o.kind} ${JSON.stringify(q)}`);
              }
            }
            if (index.rosterGeneration === rosterBefore) {
              for (const [i, q] of qs.entries()) {
                assert.deepEqual(roster(index, q), rosters[i], `${o.kind} ${JSON.stringify(q)}, roster`);
              }
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it("finds the k nearest far outside the fleet and across huge radii without visiting every cell", () => {
    const index = build(
      [
        { caps: ["lift"], zone: "A", status: "online", at: { x: 0, y: 0 } },
        { caps: ["lift"], zone: "A", status: "online", at: { x: 5, y: 5 } },
      ],
      0.001,
    );
    // A cell-by-cell walk over these areas (up to 10^30 cells) would never return: the test's timeout.
    assert.deepEqual(
      index.query({ nearest: { x: 1e9, y: 1e9, k: 1 } }).map((a) => a.id),
      ["a1"],
    );
    assert.equal(index.query({ near: { x: 0, y: 0, radius: 1e12 } }).length, 2);
    assert.equal(index.query({ box: { minX: -1e12, minY: -1e12, maxX: 1e12, maxY: 1e12 } }).length, 2);
  });

  it("refuses malformed queries with E_INVALID naming the filter", () => {
    const index = new AgentIndex();
    const bad: [unknown, string][] = [
      [{ near: { x: 0, y: 0, radius: -1 } }, "near"],
      [{ near: { x: Number.NaN, y: 0, radius: 1 } }, "near"],
      [{ box: { minX: 1, minY: 0, maxX: 0, maxY: 1 } }, "box"],
      [{ nearest: { x: 0, y: 0, k: 0 } }, "nearest"],
      [{ limit: 1.5 }, "limit"],
      [{ status: "asleep" }, "status"],
      [{ capabilities: "lift" }, "capabilities"],
      [{ attributes: { zone: 1 } }, "attributes"],
    ];
    for (const [q, field] of bad) {
      assert.throws(
        () => index.query(q as AgentQuery),
        (e) => isSwarmError(e, "E_INVALID") && e.context.field === field,
      );
    }
  });
});

describe("AgentIndex ordering", () => {
  it("holds the newest (epoch, seq) whatever order records and events arrive in", () => {
    const version = fc
      .record({ epoch: fc.integer({ min: 1, max: 4 }), seq: fc.integer({ min: 0, max: 5 }) })
      .filter((v) => v.epoch > 1 || v.seq > 0); // (1, 0) is the record the index starts from
    const history = fc.uniqueArray(version, {
      minLength: 1,
      maxLength: 15,
      selector: (v) => `${v.epoch}/${v.seq}`,
    });
    fc.assert(
      fc.property(history, fc.infiniteStream(fc.boolean()), fc.integer(), (versions, viaStore, seed) => {
        const ordered = [...versions].sort(comparePresence);
        const status = (i: number) => STATES[i % 3]!;
        // The Store's revisions follow the true order; arrival is shuffled.
        const arrivals = ordered.map((v, i) => ({ ...v, status: status(i), revision: i + 10 }));
        shuffle(arrivals, seed);
        const index = new AgentIndex();
        index.applyRecord("r1", info("r1", { epoch: 1, seq: 0, status: "offline" }), 1);
        const heard: PresenceEvent[] = [];
        index.onPresence((e) => heard.push(e));
        const it = viaStore[Symbol.iterator]();
        for (const a of arrivals) {
          if (it.next().value) index.applyRecord("r1", info("r1", a), a.revision);
          else index.applyPresence({ agentId: "r1", ...a, reason: "t", atMs: T0 });
        }
        const newest = arrivals.reduce((m, a) => (comparePresence(a, m) > 0 ? a : m), {
          epoch: 1,
          seq: 0,
          status: "offline" as PresenceState,
        });
        const held = index.get("r1")!;
        assert.deepEqual(
          { epoch: held.epoch, seq: held.seq, status: held.status },
          { epoch: newest.epoch, seq: newest.seq, status: newest.status },
        );
        for (let i = 1; i < heard.length; i++)
          assert.ok(comparePresence(heard[i]!, heard[i - 1]!) > 0, "events only move forward");
      }),
      { numRuns: 500 },
    );
  });

  it("never lets an older epoch override a newer one (the example)", () => {
    const index = new AgentIndex();
    index.applyRecord("r1", info("r1", { epoch: 2, seq: 0, status: "online" }), 5);
    assert.equal(
      index.applyPresence({ agentId: "r1", status: "offline", epoch: 1, seq: 7, reason: "late", atMs: T0 }),
      false,
    );
    assert.equal(index.applyRecord("r1", info("r1", { epoch: 1, seq: 9, status: "offline" }), 9), false);
    assert.equal(index.get("r1")!.status, "online");
    assert.equal(index.get("r1")!.epoch, 2);
  });

  it("orders versions by epoch first, then seq", () => {
    assert.ok(isNewerPresence({ epoch: 2, seq: 0 }, { epoch: 1, seq: 99 }));
    assert.ok(isNewerPresence({ epoch: 1, seq: 3 }, { epoch: 1, seq: 2 }));
    assert.ok(!isNewerPresence({ epoch: 1, seq: 2 }, { epoch: 1, seq: 2 }));
    assert.ok(isNewerPresence({ epoch: 1, seq: 0 }, undefined));
  });
});

describe("AgentIndex heartbeats, poses and records", () => {
  it("renews lastSeen for the current epoch, refuses older ones and holds newer ones until their record", () => {
    const index = new AgentIndex();
    assert.equal(index.heartbeat("r1", 1, 0, T0 + 1), "unknown");
    index.applyRecord("r1", info("r1", { epoch: 2 }), 1);
    assert.equal(index.heartbeat("r1", 2, 3, T0 + 500), "ok");
    assert.equal(index.get("r1")!.lastSeenMs, T0 + 500);
    assert.equal(index.get("r1")!.inFlight, 3);
    assert.equal(index.heartbeat("r1", 1, 0, T0 + 600), "stale");
    assert.equal(index.get("r1")!.lastSeenMs, T0 + 500);
    assert.equal(index.heartbeat("r1", 3, 1, T0 + 700), "ahead");
    index.applyRecord("r1", info("r1", { epoch: 3, lastSeenMs: T0 + 650 }), 2);
    assert.equal(index.get("r1")!.lastSeenMs, T0 + 700, "the held heartbeat counts once its record lands");
  });

  it("moves agents on pose telemetry and keeps that position across records of the same epoch", () => {
    const index = new AgentIndex();
    index.applyRecord("r1", info("r1", { at: { x: 0, y: 0 } }), 1);
    assert.ok(index.move("r1", { cartesian: { x: 50, y: 50 } }));
    assert.deepEqual(
      index.query({ near: { x: 50, y: 50, radius: 1 } }).map((a) => a.id),
      ["r1"],
    );
    index.applyRecord("r1", info("r1", { seq: 1, status: "suspect", at: { x: 0, y: 0 } }), 2);
    assert.deepEqual(index.get("r1")!.position, { x: 50, y: 50, z: 0 });
    assert.deepEqual(index.info("r1")!.descriptor!.position, { cartesian: { x: 50, y: 50 } });
    assert.equal(index.move("ghost", { cartesian: { x: 1, y: 1 } }), false);
  });

  it("applies Store changes: puts by revision, deletes, and counts records that are not AgentInfo", () => {
    const index = new AgentIndex();
    const key = kvKeys.agent("r1");
    const value = encodePayload("swarmlink.v1.AgentInfo", info("r1"));
    assert.ok(index.applyChange({ key, op: "put", value, revision: 3 }));
    assert.equal(index.applyChange({ key, op: "put", value, revision: 3 }), false, "a repeat is dropped");
    assert.equal(
      index.applyChange({ key, op: "put", value: new Uint8Array([0xff, 0xff]), revision: 4 }),
      false,
    );
    assert.equal(index.applyChange({ key: kvKeys.agent("r2"), op: "put", value, revision: 5 }), false);
    assert.equal(index.badRecords, 2);
    assert.ok(index.applyChange({ key, op: "delete", revision: 6 }));
    assert.equal(index.size, 0);
  });

  it("projects geo positions around the origin, and leaves them out of spatial queries without one", () => {
    const origin = { lat: 52, lon: 4 };
    const p = projectGeo({ lat: 52.001, lon: 4.001 }, origin);
    assert.ok(Math.abs(p.y - 111.2) < 0.5 && Math.abs(p.x - 68.5) < 0.5, JSON.stringify(p));
    const geo = { ...info("g1"), descriptor: { id: "g1", position: { geo: { lat: 52.001, lon: 4.001 } } } };
    const withOrigin = new AgentIndex({ geoOrigin: origin });
    withOrigin.applyRecord("g1", geo, 1);
    assert.equal(withOrigin.query({ near: { x: 68, y: 111, radius: 5 } }).length, 1);
    const without = new AgentIndex();
    without.applyRecord("g1", geo, 1);
    assert.equal(without.get("g1")!.position, undefined);
    assert.equal(without.query({ near: { x: 68, y: 111, radius: 1e6 } }).length, 0);
    assert.equal(without.query({ status: "online" }).length, 1);
  });
});

function shuffle<T>(a: T[], seed: number): void {
  let s = seed >>> 0 || 1;
  for (let i = a.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) >>> 0;
    const j = s % (i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
}
