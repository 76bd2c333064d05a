import { batteryAware, bindBehaviour, type ExecuteInput, worker } from "@swarmlink/behaviours";
import type { Swarm } from "@swarmlink/sdk";
import type { Store } from "@swarmlink/store";
import { fromPromise } from "xstate";

/** A demo bot: an SDK agent bound to `worker` or `batteryAware`. */
export interface Bot {
  id: string;
  behaviour: "worker" | "batteryAware";
  stop(): Promise<void>;
}

/** Waits `ms` or rejects when `signal` aborts (a cancel, the bot closing). */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(resolve, ms);
    const abort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener("abort", abort, { once: true });
  });
}

/**
 * Starts bot `id` (capability `deliver`): even ones run `worker`, odd ones `batteryAware` (drains a
 * third per task, charges when below 30 %). Each task takes 0.5–2 s; `onState` hears every change
 * of the machine's state value (e.g. "charging").
 */
export async function startBot(
  swarm: Swarm,
  store: Store,
  id: string,
  index: number,
  onState: (id: string, state: string, prev: string, level: number | undefined) => void,
): Promise<Bot> {
  const here = { x: 40 + (index % 4) * 5, y: Math.floor(index / 4) * 5 };
  const agent = await swarm.agent({ id, kind: "bot", capabilities: ["deliver"], credits: 1, position: here });
  const execute = fromPromise<unknown, ExecuteInput>(async ({ input, signal }) => {
    await pause(500 + Math.floor(Math.random() * 1500), signal);
    const c = input.task.position?.cartesian;
    if (typeof c?.x === "number") Object.assign(here, { x: c.x, y: c.y ?? 0 });
    agent.telemetry("pose", here, { conflate: true });
    return { deliveredBy: id, at: { ...here } };
  });
  const battery = index % 2 === 1;
  const machine = battery
    ? batteryAware.provide({ actors: { execute } })
    : worker.provide({ actors: { execute } });
  const input = battery
    ? { threshold: 0.3, drainPerTask: 0.34, chargePerTick: 0.2, chargeTickMs: 1000, cost: 2 }
    : undefined;
  const bound = await bindBehaviour(agent, machine, { capabilities: ["deliver"], store, input });
  let last = "";
  const sub = bound.actor.subscribe((snap) => {
    const state = typeof snap.value === "string" ? snap.value : (Object.keys(snap.value)[0] ?? "");
    if (state === last) return;
    const prev = last;
    last = state;
    onState(id, state, prev, (snap.context as { level?: number }).level);
  });
  return {
    id,
    behaviour: battery ? "batteryAware" : "worker",
    stop: async () => {
      sub.unsubscribe();
      await bound.stop();
      await agent.close({ timeoutMs: 0 });
    },
  };
}
