import { subjectMatches } from "../subject.js";
import type { PushSubscription } from "../subscription.js";

export interface Route {
  readonly pattern: string;
  readonly queue: string | undefined;
  readonly sub: PushSubscription;
}

interface Targets {
  plain: Route[];
  groups: Map<string, { members: Route[]; next: number }>;
}

/** Most distinct subjects whose matches are cached; past it the cache starts over. */
const MAX_CACHED_SUBJECTS = 10_000;

/**
 * Subject → subscribers, with NATS semantics: every plain subscriber gets a copy, each queue group
 * one member (round robin). Matches are cached per subject; a change of subscriptions drops only the
 * cached subjects its pattern matches (one entry for a literal subject), so that short-lived
 * subscriptions (request inboxes, one auction's bid subject) do not make every publish rematch
 * every route.
 */
export class Router {
  #routes = new Set<Route>();
  #cache = new Map<string, Targets>();

  add(route: Route): void {
    this.#routes.add(route);
    this.#invalidate(route.pattern);
  }

  remove(route: Route): void {
    if (this.#routes.delete(route)) this.#invalidate(route.pattern);
  }

  /** Drops the cached targets of every subject `pattern` matches: exactly those it changes. */
  #invalidate(pattern: string): void {
    if (!pattern.includes("*") && !pattern.includes(">")) {
      this.#cache.delete(pattern);
      return;
    }
    for (const subject of this.#cache.keys()) {
      if (subjectMatches(pattern, subject)) this.#cache.delete(subject);
    }
  }

  get size(): number {
    return this.#routes.size;
  }

  /** Delivers `msg` to the matching subscribers; returns how many received it. */
  deliver<M>(subject: string, msg: M, push: (route: Route, msg: M) => boolean): number {
    const targets = this.#targets(subject);
    let n = 0;
    for (const r of targets.plain) if (push(r, msg)) n++;
    for (const group of targets.groups.values()) {
      const members = group.members;
      // Skip members that are gone or draining: a queue group keeps serving while one member leaves.
      for (let tries = 0; tries < members.length; tries++) {
        const r = members[group.next++ % members.length]!;
        if (push(r, msg)) {
          n++;
          break;
        }
      }
    }
    return n;
  }

  /** True when at least one active subscriber would receive a message on `subject`. */
  hasInterest(subject: string): boolean {
    const t = this.#targets(subject);
    return (
      t.plain.some((r) => r.sub.active) ||
      [...t.groups.values()].some((g) => g.members.some((r) => r.sub.active))
    );
  }

  #targets(subject: string): Targets {
    let t = this.#cache.get(subject);
    if (t) return t;
    t = { plain: [], groups: new Map() };
    for (const r of this.#routes) {
      if (!subjectMatches(r.pattern, subject)) continue;
      if (r.queue === undefined) {
        t.plain.push(r);
      } else {
        let g = t.groups.get(r.queue);
        if (!g) {
          g = { members: [], next: 0 };
          t.groups.set(r.queue, g);
        }
        g.members.push(r);
      }
    }
    if (this.#cache.size >= MAX_CACHED_SUBJECTS) this.#cache.clear();
    this.#cache.set(subject, t);
    return t;
  }
}
