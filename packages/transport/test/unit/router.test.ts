import assert from "node:assert/strict";
import { subjectMatches } from "@swarmlink/transport";
import fc from "fast-check";
import { type Route, Router } from "../../src/memory/router.js";
import { PushSubscription } from "../../src/subscription.js";

const token = fc.constantFrom("a", "b", "c");
const literal = fc.array(token, { minLength: 1, maxLength: 4 }).map((t) => t.join("."));
const pattern = fc
  .tuple(fc.array(fc.oneof(token, fc.constant("*")), { minLength: 1, maxLength: 4 }), fc.boolean())
  .map(([t, rest]) => (rest ? [...t, ">"] : t).join("."));

function route(p: string, queue?: string): Route {
  return { pattern: p, queue, sub: new PushSubscription(p, { maxPending: 0 }, () => {}) };
}

/** Who got the message: the index of each route whose subscription received it. */
function receivers(router: Router, routes: Route[], subject: string): number[] {
  router.deliver(subject, {}, (r, m) => r.sub.push(m as never));
  const got = routes.flatMap((r, i) => (r.sub.received > 0 ? [i] : []));
  for (const r of routes) r.sub.unsubscribe();
  return got;
}

describe("memory Bus router", () => {
  it("delivers to exactly the routes whose pattern matches, after any adds and removes", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.oneof(literal, pattern), fc.boolean()), { maxLength: 12 }),
        literal,
        (specs, subject) => {
          const router = new Router();
          const routes = specs.map(([p]) => route(p));
          for (const r of routes) router.add(r);
          // Removing some (each removed route must stop matching; the rest must be untouched).
          const removed = new Set(specs.flatMap(([, gone], i) => (gone ? [i] : [])));
          for (const i of removed) router.remove(routes[i]!);
          assert.equal(router.size, routes.length - removed.size);
          const expected = routes.flatMap((r, i) =>
            !removed.has(i) && subjectMatches(r.pattern, subject) ? [i] : [],
          );
          assert.equal(router.hasInterest(subject), expected.length > 0);
          assert.deepEqual(receivers(router, routes, subject), expected);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("leaves no trace of a removed wildcard pattern", () => {
    const router = new Router();
    const r = route("x.*.y.>");
    router.add(r);
    router.remove(r);
    router.remove(r);
    assert.equal(router.size, 0);
    assert.equal(router.hasInterest("x.a.y.z"), false);
  });

  it("gives each message to one member of each queue group, in turn, and a copy to every plain route", () => {
    const router = new Router();
    const members = [route("t.*", "g"), route("t.>", "g"), route("t.one", "g")];
    const other = route("t.one", "h");
    const plain = route("t.one");
    for (const r of [...members, other, plain]) router.add(r);
    for (let i = 0; i < 9; i++) router.deliver("t.one", {}, (r, m) => r.sub.push(m as never));
    assert.deepEqual(
      members.map((r) => r.sub.received),
      [3, 3, 3],
    );
    assert.equal(other.sub.received, 9);
    assert.equal(plain.sub.received, 9);
  });

  it("keeps delivering to the rest when a subscription leaves during a delivery", () => {
    const router = new Router();
    const routes: Route[] = [];
    for (let i = 0; i < 3; i++) {
      const r: Route = {
        pattern: "t.x",
        queue: undefined,
        sub: new PushSubscription("t.x", { max: 1 }, () => router.remove(r)),
      };
      routes.push(r);
      router.add(r);
    }
    assert.equal(
      router.deliver("t.x", {}, (r, m) => r.sub.push(m as never)),
      3,
    );
    assert.equal(router.size, 0);
  });
});
