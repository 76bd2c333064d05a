import assert from "node:assert/strict";
import { SimulatedClock } from "@swarmlink/protocol";
import { getShortestPaths, getSimplePaths } from "@xstate/graph";
import {
  type AnyStateMachine,
  createActor,
  type EventObject,
  fromPromise,
  getNextSnapshot,
  type StateValue,
} from "xstate";

/** What the model (the spec, written independently of the machine) says one step does. */
export interface Expected {
  /** The state value after the step. */
  state: StateValue;
  /** Types of the effects emitted during the step, in order. */
  effects: string[];
}

/** The spec: from a state value (and the context) and an event to what must happen; undefined: the event is ignored. */
export type Oracle = (
  state: StateValue,
  context: Record<string, unknown>,
  event: EventObject,
) => Expected | undefined;

export interface ModelOptions {
  machine: AnyStateMachine;
  events: EventObject[];
  oracle: Oracle;
  input?: unknown;
  /** How far a delayed transition's event advances the clock, in ms. */
  advanceMs?: number;
  /** Also every simple path (exponential: for small graphs). @default true */
  simple?: boolean;
  /** Identity of a state for the traversal. @default its value and the context's taskId */
  serialize?: (s: { value: StateValue; context: Record<string, unknown> }) => string;
}

interface Deferred {
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

/** One path: its events and the state the graph predicts after each. */
export interface ModelPath {
  steps: { event: EventObject; state: { value: StateValue } }[];
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
    for (const event of o.events) {
      const next = getNextSnapshot(o.machine, p.state as never, event as never);
      add({ steps: [...p.steps, { event, state: next }], state: next });
    }
  }
  return out;
}

/** Runs one path on a real actor (SimulatedClock, a controllable `execute`), checking each step against the graph and the oracle. */
export async function runPath(
  o: ModelOptions,
  steps: { event: EventObject; state: { value: StateValue } }[],
): Promise<{ value: StateValue; effects: string[] }> {
  const clock = new SimulatedClock(0);
  let pending: Deferred | undefined;
  const machine = o.machine.provide({
    actors: {
      execute: fromPromise(
        () =>
          new Promise((resolve, reject) => {
            pending = { resolve, reject };
          }),
      ),
    },
  });
  const actor = createActor(machine, { input: o.input, clock });
  const effects: string[] = [];
  actor.on("*", (e: EventObject) => effects.push(e.type));
  actor.start();
  try {
    for (const step of steps) {
      const e = step.event;
      if (e.type === "xstate.init") continue;
      const before = actor.getSnapshot();
      const expected = o.oracle(before.value, before.context, e);
      effects.length = 0;
      const running = pending && before.children.execute !== undefined ? pending : undefined;
      if (running && e.type.startsWith("xstate.done.actor.")) {
        pending = undefined;
        running.resolve((e as { output?: unknown }).output);
        await flush();
      } else if (running && e.type.startsWith("xstate.error.actor.")) {
        pending = undefined;
        running.reject((e as { error?: unknown }).error);
        await flush();
      } else if (e.type.startsWith("xstate.done.actor.") || e.type.startsWith("xstate.error.actor.")) {
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
      assert.deepEqual(effects, expected?.effects ?? [], `${what} effects`);
    }
    return { value: actor.getSnapshot().value, effects: [...effects] };
  } finally {
    actor.stop();
  }
}

async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

/** A readable test name: the events of a path, with the task or peer they are about. */
export function pathName(steps: { event: EventObject }[]): string {
  return (
    steps
      .filter((s) => s.event.type !== "xstate.init")
      .map((s) => {
        const e = s.event as EventObject & {
          task?: { id: string };
          taskId?: string;
          agentId?: string;
          level?: number;
        };
        const about = e.task?.id ?? e.taskId ?? e.agentId ?? (e.level === undefined ? "" : String(e.level));
        return e.type.replace(/^swarm\.|^xstate\./, "") + (about ? `(${about})` : "");
      })
      .join(" → ") || "(start)"
  );
}

/** ["active", "bidding"] → { active: "bidding" }. */
function nested(path: string[]): StateValue {
  const [head, ...rest] = path;
  return rest.length === 0 ? (head ?? "") : { [head ?? ""]: nested(rest) };
}
