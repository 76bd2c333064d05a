import assert from "node:assert/strict";
import { SimulatedClock } from "@swarmlink/protocol";
import { getShortestPaths, getSimplePaths } from "@xstate/graph";
import {
  type AnyEventObject,
  type AnyStateMachine,
  createActor,
  fromPromise,
  getInitialSnapshot,
  getNextSnapshot,
  type StateValue,
} from "xstate";

/** What the model (the spec, written independently of the machine) says one step does. */
export interface Expected {
  /** The state value after the step. */
  state: StateValue;
  /** The effects emitted during the step, in order: a type, or the type and fields it must have. */
  effects: (string | ({ type: string } & Record<string, unknown>))[];
  /** Fields the context must have after the step. */
  context?: Record<string, unknown>;
  /** The inputs of the controlled actors started during the step, by actor id (ids absent: not checked). */
  started?: Record<string, unknown[]>;
}

/** The spec: from a state value (and the context) and an event to what must happen; undefined: the event is ignored. */
export type Oracle = (
  state: StateValue,
  context: Record<string, unknown>,
  event: AnyEventObject,
) => Expected | undefined;

export interface ModelOptions {
  machine: AnyStateMachine;
  events: AnyEventObject[];
  oracle: Oracle;
  input?: unknown;
  /** How far a delayed transition's event advances the clock, in ms. */
  advanceMs?: number;
  /** Also every simple path (exponential: for small graphs). @default true */
  simple?: boolean;
  /** Invoked actors the test resolves and rejects (their done/error events), by invoke id (= src). @default ["execute"] */
  controlled?: string[];
  /** Identity of a state for the traversal. @default its value and the context's taskId */
  serialize?: (s: { value: StateValue; context: Record<string, unknown> }) => string;
}

interface Deferred {
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

/** One path: its events and the state the graph predicts after each. */
export interface ModelPath {
  steps: { event: AnyEventObject; state: { value: StateValue } }[];
  state: { value: StateValue };
}

/**
 * Every simple path the graph finds to every reachable state, each extended by every event of the
 * model (so every transition out of every reachable state, and every ignored event, is a path).
 */
export function allPaths(o: ModelOptions): ModelPath[] {
  const serializeState = (s: { value: StateValue; context: Record<string, unknown> }) =>
    o.serialize ? o.serialize(s) : JSON.stringify([s.value, s.context.taskId ?? null]);
  const opts = { events: o.events, input: o.input, serializeState } as never;
  const seen = new Set<string>();
  const out: ModelPath[] = [];
  const add = (p: ModelPath) => {
    const key = p.steps.map((s) => JSON.stringify(s.event)).join(">");
    if (seen.has(key)) return;
    seen.add(key);
    out.push(p);
  };
  const simple = o.simple === false ? [] : getSimplePaths(o.machine, opts);
  for (const p of [...simple, ...getShortestPaths(o.machine, opts)]) {
    add(p);
    // p.state is the graph's representative of the state's class (same serialization), which
    // may differ from where p's own events lead in what the serialization leaves out: replay them.
    let end = getInitialSnapshot(o.machine, o.input as never);
    for (const s of p.steps)
      if (s.event.type !== "xstate.init") end = getNextSnapshot(o.machine, end as never, s.event as never);
    for (const event of o.events) {
      const next = getNextSnapshot(o.machine, end as never, event as never);
      add({ steps: [...p.steps, { event, state: next }], state: next });
    }
  }
  return out;
}

/** Runs one path on a real actor (SimulatedClock, a controllable `execute`), checking each step against the graph and the oracle. */
export async function runPath(
  o: ModelOptions,
  steps: { event: AnyEventObject; state: { value: StateValue } }[],
): Promise<{ value: StateValue; effects: string[] }> {
  const clock = new SimulatedClock(0);
  const pending = new Map<string, Deferred>();
  const started: { id: string; input: unknown }[] = [];
  const controlled = (id: string) =>
    fromPromise(
      ({ input }) =>
        new Promise((resolve, reject) => {
          pending.set(id, { resolve, reject });
          started.push({ id, input });
        }),
    );
  const ids = o.controlled ?? ["execute"];
  const machine = o.machine.provide({ actors: Object.fromEntries(ids.map((id) => [id, controlled(id)])) });
  const actor = createActor(machine, { input: o.input, clock });
  const effects: AnyEventObject[] = [];
  actor.on("*", (e: AnyEventObject) => effects.push(e));
  actor.start();
  try {
    for (const step of steps) {
      const e = step.event;
      if (e.type === "xstate.init") continue;
      const before = actor.getSnapshot();
      const expected = o.oracle(before.value, before.context, e);
      effects.length = 0;
      started.length = 0;
      const settled = /^xstate\.(done|error)\.actor\.(.+)$/.exec(e.type);
      const id = settled?.[2] ?? "";
      const running = settled && before.children[id] !== undefined ? pending.get(id) : undefined;
      if (running && settled?.[1] === "done") {
        pending.delete(id);
        running.resolve((e as { output?: unknown }).output);
        await flush();
      } else if (running) {
        pending.delete(id);
        running.reject((e as { error?: unknown }).error);
        await flush();
      } else if (settled) {
        // no such child runs here: the event cannot happen, and the graph must say nothing changes
      } else if (e.type.startsWith("xstate.after.")) {
        // only the named state's own timer may fire: step time until it does
        const path = e.type.split(".").slice(4);
        if (before.matches(nested(path))) {
          for (let t = 0; t < (o.advanceMs ?? 60_000) && actor.getSnapshot() === before; t += 10)
            clock.advance(10);
        }
      } else actor.send(e);
      const after = actor.getSnapshot();
      const what = `${JSON.stringify(before.value)} --${e.type}-->`;
      assert.deepEqual(after.value, step.state.value, `${what} as the graph predicted`);
      assert.deepEqual(after.value, expected?.state ?? before.value, `${what} as the model says`);
      const want = expected?.effects ?? [];
      const types = (l: readonly (string | AnyEventObject)[]) =>
        l.map((f) => (typeof f === "string" ? f : f.type));
      assert.deepEqual(types(effects), types(want), `${what} effects`);
      want.forEach((f, i) => {
        if (typeof f !== "string")
          assert.deepEqual(round(pick(effects[i], f)), round(f), `${what} ${f.type}`);
      });
      if (expected?.context)
        assert.deepEqual(
          round(pick(after.context, expected.context)),
          round(expected.context),
          `${what} context`,
        );
      for (const [aid, inputs] of Object.entries(expected?.started ?? {}))
        assert.deepEqual(
          round(started.filter((s) => s.id === aid).map((s) => s.input)),
          round(inputs),
          `${what} ${aid} started`,
        );
    }
    return { value: actor.getSnapshot().value, effects: types0(effects) };
  } finally {
    actor.stop();
  }
}

function types0(l: AnyEventObject[]): string[] {
  return l.map((f) => f.type);
}

/** The fields of `from` named in `like`. */
function pick(from: unknown, like: object): Record<string, unknown> {
  const f = (from ?? {}) as Record<string, unknown>;
  return Object.fromEntries(Object.keys(like).map((k) => [k, f[k]]));
}

/** Numbers rounded to 1 µm, so that the spec's arithmetic may differ from the machine's in the last bits. */
function round(v: unknown): unknown {
  return JSON.parse(
    JSON.stringify(v ?? null, (_k, x) => (typeof x === "number" ? Math.round(x * 1e6) / 1e6 : x)),
  );
}

async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

/** A readable test name: the events of a path, with the task or peer they are about. */
export function pathName(steps: { event: AnyEventObject }[]): string {
  return (
    steps
      .filter((s) => s.event.type !== "xstate.init")
      .map((s) => {
        const e = s.event as AnyEventObject & {
          task?: { id: string };
          taskId?: string;
          agentId?: string;
          level?: number;
          holder?: string;
          group?: string;
          isLeader?: boolean;
          x?: number;
          y?: number;
          output?: { x?: number; y?: number };
        };
        const at = (p: { x?: number; y?: number } | undefined) =>
          p?.x === undefined ? "" : ` ${p.x},${p.y}`;
        const about =
          e.type === "swarm.leader"
            ? `${e.group}:${e.isLeader ? "self" : (e.holder ?? "none")}`
            : (e.task?.id ?? e.taskId ?? e.agentId ?? (e.level === undefined ? "" : String(e.level))) +
              at(e) +
              at(e.output);
        return e.type.replace(/^swarm\.|^xstate\./, "") + (about.trim() ? `(${about.trim()})` : "");
      })
      .join(" → ") || "(start)"
  );
}

/** ["active", "bidding"] → { active: "bidding" }. */
function nested(path: string[]): StateValue {
  const [head, ...rest] = path;
  return rest.length === 0 ? (head ?? "") : { [head ?? ""]: nested(rest) };
}
