import { hasWildcard } from "../subject.js";
import type { PushSubscription } from "../subscription.js";

export interface Route {
  readonly pattern: string;
  readonly queue: string | undefined;
  readonly sub: PushSubscription;
}

/**
 * One token of the wildcard patterns: what follows it, and the routes whose pattern ends here.
 * Every part is made when first needed: a fleet's per-agent patterns (`agents.{id}.cmd.*`) make
 * three nodes per agent, most of them with one child or one route.
 */
interface Node {
  children: Map<string, Node> | undefined;
  /** The `*` branch. */
  star: Node | undefined;
  /** Routes whose pattern ends at this node. */
  routes: Route[] | undefined;
  /** Routes whose pattern ends with `>` after this node: they match one or more further tokens. */
  rest: Route[] | undefined;
}

const newNode = (): Node => ({ children: undefined, star: undefined, routes: undefined, rest: undefined });

/**
 * Subject → subscribers, with NATS semantics: every plain subscriber gets a copy, each queue group
 * one member (round robin per group). Literal patterns are one map lookup; wildcard patterns sit in
 * a token trie, walked once per message. Nothing is cached per subject: most subjects of a busy
 * swarm are used once (a task's status, a request's inbox), and a cache of them never hits and
 * needs invalidating on every subscription change.
 */
export class Router {
  #exact = new Map<string, Route[]>();
  #root = newNode();
  #wildcards = 0;
  #size = 0;
  /** Round-robin position per queue group name. */
  #turn = new Map<string, number>();

  get size(): number {
    return this.#size;
  }

  add(route: Route): void {
    this.#size++;
    if (!hasWildcard(route.pattern)) {
      const list = this.#exact.get(route.pattern);
      if (list) list.push(route);
      else this.#exact.set(route.pattern, [route]);
      return;
    }
    this.#wildcards++;
    let node = this.#root;
    const tokens = route.pattern.split(".");
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      if (t === ">") {
        node.rest ??= [];
        node.rest.push(route);
        return;
      }
      if (t === "*") {
        node.star ??= newNode();
        node = node.star;
      } else {
        let next = node.children?.get(t);
        if (!next) {
          next = newNode();
          node.children ??= new Map();
          node.children.set(t, next);
        }
        node = next;
      }
    }
    node.routes ??= [];
    node.routes.push(route);
  }

  remove(route: Route): void {
    if (!hasWildcard(route.pattern)) {
      const list = this.#exact.get(route.pattern);
      if (!list || !drop(list, route)) return;
      if (list.length === 0) this.#exact.delete(route.pattern);
      this.#size--;
      return;
    }
    if (this.#removeFrom(this.#root, route, route.pattern.split("."), 0) === undefined) return;
    this.#wildcards--;
    this.#size--;
  }

  /** Removes `route` below `node`; undefined when it was not there, else whether `node` is now empty. */
  #removeFrom(node: Node, route: Route, tokens: string[], i: number): boolean | undefined {
    const t = tokens[i];
    if (t === undefined || t === ">") {
      if (!drop(t === undefined ? node.routes : node.rest, route)) return undefined;
      return isEmpty(node);
    }
    const child = t === "*" ? node.star : node.children?.get(t);
    if (!child) return undefined;
    const childEmpty = this.#removeFrom(child, route, tokens, i + 1);
    if (childEmpty === undefined) return undefined;
    // Prune what no pattern uses any more, so one-use wildcard patterns leave nothing behind.
    if (childEmpty) {
      if (t === "*") node.star = undefined;
      else if (node.children?.delete(t) && node.children.size === 0) node.children = undefined;
    }
    return isEmpty(node);
  }

  /** Delivers `msg` to the matching subscribers; returns how many received it. */
  deliver<M>(subject: string, msg: M, push: (route: Route, msg: M) => boolean): number {
    const found = this.#match(subject);
    if (found === undefined) return 0;
    let n = 0;
    let queued: Route[] | undefined;
    for (let i = 0; i < found.length; i++) {
      const r = found[i]!;
      if (r.queue === undefined) {
        if (push(r, msg)) n++;
      } else if (queued) queued.push(r);
      else queued = [r];
    }
    if (queued) n += this.#deliverToGroups(queued, msg, push);
    return n;
  }

  /** True when at least one active subscriber would receive a message on `subject`. */
  hasInterest(subject: string): boolean {
    const found = this.#match(subject);
    return found?.some((r) => r.sub.active) === true;
  }

  /** One member of each group; skips members that are gone or draining, so a group keeps serving while one leaves. */
  #deliverToGroups<M>(queued: Route[], msg: M, push: (route: Route, msg: M) => boolean): number {
    const groups = new Map<string, Route[]>();
    for (const r of queued) {
      const members = groups.get(r.queue!);
      if (members) members.push(r);
      else groups.set(r.queue!, [r]);
    }
    let n = 0;
    for (const [queue, members] of groups) {
      let turn = this.#turn.get(queue) ?? 0;
      for (let tries = 0; tries < members.length; tries++) {
        const r = members[turn++ % members.length]!;
        if (push(r, msg)) {
          n++;
          break;
        }
      }
      this.#turn.set(queue, turn % 0x40000000);
    }
    return n;
  }

  /** The routes matching `subject`, or undefined for none. */
  #match(subject: string): Route[] | undefined {
    const exact = this.#exact.get(subject);
    // A copy whenever a push could change the list under the caller's loop: a subscription that
    // reaches its `max` removes its route at once.
    if (this.#wildcards === 0) return exact && exact.length > 1 ? exact.slice() : exact;
    const found: Route[] = exact ? exact.slice() : [];
    collect(this.#root, subject, 0, found);
    return found.length > 0 ? found : undefined;
  }
}

/** Adds the routes below `node` that match the tokens of `subject` from `start` on. */
function collect(node: Node, subject: string, start: number, found: Route[]): void {
  // `>` takes the token at `start` and everything after it.
  if (node.rest) for (const r of node.rest) found.push(r);
  let end = subject.indexOf(".", start);
  const last = end === -1;
  if (last) end = subject.length;
  const child = node.children?.get(subject.slice(start, end));
  if (child) {
    if (last) {
      if (child.routes) for (const r of child.routes) found.push(r);
    } else collect(child, subject, end + 1, found);
  }
  const star = node.star;
  if (star) {
    if (last) {
      if (star.routes) for (const r of star.routes) found.push(r);
    } else collect(star, subject, end + 1, found);
  }
}

function drop(list: Route[] | undefined, route: Route): boolean {
  if (!list) return false;
  const i = list.indexOf(route);
  if (i === -1) return false;
  list.splice(i, 1);
  return true;
}

function isEmpty(node: Node): boolean {
  return !node.routes?.length && !node.rest?.length && !node.children?.size && !node.star;
}
