import { SwarmError } from "@swarmlink/protocol";
import type { Agent } from "@swarmlink/sdk";
import { type Actor, type AnyStateMachine, createActor } from "xstate";

type AnyMachineActor = Actor<AnyStateMachine>;

import type { SwarmEffect, SwarmEvent } from "./events.js";
import { toPlain } from "./json.js";
import { type BindOptions, type ParsedBindOptions, parseBindOptions } from "./options.js";
import { Peers } from "./peers.js";
import { loadSnapshot, SnapshotSaver } from "./persist.js";
import { TaskBridge } from "./tasks.js";

/** A machine bound to an agent: see {@link bindBehaviour}. */
export interface BoundBehaviour<TMachine extends AnyStateMachine> {
  /** The running actor (read `getSnapshot()`, `subscribe`). */
  readonly actor: Actor<TMachine>;
  /** Whether it started from a persisted snapshot. */
  readonly restored: boolean;
  /** The Store key of its snapshot. */
  readonly key: string;
  /** Sends an event of your own (a battery reading, a sensor). */
  send(event: SwarmEvent): void;
  /** Whether the agent takes awards and bids now. */
  readonly accepting: boolean;
  /** Writes the pending snapshot now. */
  persist(): Promise<void>;
  /** Unbinds: fails running handlers (`E_CLOSED`), leaves elections, writes the last snapshot, stops the actor. */
  stop(): Promise<void>;
}

/**
 * Binds an XState machine to a Swarmlink agent. Swarmlink happenings become machine events
 * ({@link SwarmEvent}); the machine acts by emitting {@link SwarmEffect}s (XState's `emit`): bid,
 * accept, refuse, progress, complete, fail, telemetry, accepting, reply. State value and context go
 * out as conflated telemetry on `telemetryStream`; the persisted snapshot is written to `store`
 * (debounced) after transitions and restored by the next `bindBehaviour` with the same key (the
 * machine then gets `swarm.restored`: work in flight died with the process). Failures are reported
 * to `onError`, never thrown out of the agent's callbacks.
 *
 * @throws SwarmError `E_CONFIG` naming the field for a bad option.
 *
 * @example
 * ```ts
 * const agent = await swarm.agent({ id: "amr-1", capabilities: ["pick"] });
 * const bound = await bindBehaviour(agent, worker, { capabilities: ["pick"], store, swarm });
 * bound.actor.subscribe((s) => console.log(s.value));
 * await bound.stop();
 * ```
 */
export async function bindBehaviour<TMachine extends AnyStateMachine>(
  agent: Agent,
  machine: TMachine,
  options: BindOptions = {},
): Promise<BoundBehaviour<TMachine>> {
  const o = parseBindOptions(agent.id, options);
  const saved = o.store ? await loadSnapshot(o.store, o.key, o.onError) : undefined;
  const logic: AnyStateMachine = machine;
  const actor = createRestoring(logic, o, saved);
  const restored = saved !== undefined && actor !== undefined;
  const live: AnyMachineActor = actor ?? createActor(logic, { input: o.input, clock: o.clock });
  const send = (e: SwarmEvent) => live.send(e);
  const tasks = new TaskBridge(agent, o.capabilities, send, o.onError, o.clock);
  const replies = new Map<string, unknown>();
  const saver = o.store
    ? new SnapshotSaver(
        o.store,
        o.key,
        o.clock,
        o.persistDebounceMs,
        () => live.getPersistedSnapshot(),
        o.onError,
      )
    : undefined;

  live.on("*", (e: SwarmEffect) => {
    try {
      if (tasks.apply(e)) return;
      if (e.type === "swarm.telemetry") agent.telemetry(e.stream, e.value, { conflate: e.conflate ?? false });
      else if (e.type === "swarm.reply") replies.set(e.commandId, e.result);
    } catch (err) {
      o.onError(new SwarmError("E_INTERNAL", `effect ${e.type} failed`, { effect: e.type }, { cause: err }));
    }
  });
  let last: unknown;
  const sub = live.subscribe({
    next: (s) => {
      if (s === last) return;
      last = s;
      saver?.touch();
      if (o.telemetryStream)
        agent.telemetry(
          o.telemetryStream,
          { value: s.value, context: toPlain(s.context), status: s.status },
          { conflate: true },
        );
    },
    error: (err) =>
      o.onError(new SwarmError("E_INTERNAL", "the behaviour's actor failed", { key: o.key }, { cause: err })),
  });
  live.start();
  tasks.start();
  // after the handlers: a restored machine may drop its credits again at once
  if (restored) send({ type: "swarm.restored" });
  const offCommands = o.commands.map((name) =>
    agent.onCommand(name, (args, { command }) => {
      live.send({ type: "swarm.command", name, args, commandId: command.id });
      const result = replies.get(command.id);
      replies.delete(command.id);
      return result ?? { state: toPlain(live.getSnapshot().value) };
    }),
  );
  const peers = new Peers(agent, o, send);
  await peers.start();

  let stopping: Promise<void> | undefined;
  return {
    actor: live as unknown as Actor<TMachine>,
    restored,
    key: o.key,
    send,
    get accepting() {
      return tasks.accepting;
    },
    persist: async () => {
      await saver?.flush();
    },
    stop() {
      stopping ??= (async () => {
        for (const off of offCommands) off();
        tasks.close();
        await peers.close();
        await saver?.flush();
        sub.unsubscribe();
        live.stop();
      })();
      return stopping;
    },
  };
}

/** The actor restored from `saved`, or undefined (none, or it no longer fits the machine: reported). */
function createRestoring(
  machine: AnyStateMachine,
  o: ParsedBindOptions,
  saved: unknown,
): AnyMachineActor | undefined {
  if (saved === undefined) return undefined;
  try {
    if (typeof saved !== "object" || saved === null) throw new TypeError("the snapshot is not an object");
    const actor = createActor(machine, { snapshot: saved as never, input: o.input, clock: o.clock });
    // XState does not throw here: a snapshot it cannot restore (a state the machine no longer has)
    // becomes an actor in error, which would fail at start
    const s = actor.getSnapshot();
    if (s.status === "error") throw s.error;
    return actor;
  } catch (err) {
    o.onError(
      new SwarmError(
        "E_INVALID",
        "the persisted snapshot does not fit the machine",
        { key: o.key },
        { cause: err },
      ),
    );
    return undefined;
  }
}
