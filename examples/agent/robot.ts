/**
 * A delivery robot written with the SDK and bound to the `worker` behaviour of
 * `@swarmlink/behaviours` (idle → bidding → executing → reporting). Its work — driving to the
 * task's position at `speedMps`, streaming its pose — is the machine's `execute` actor; the
 * behaviour takes awards, bids in auctions and reports results through the agent.
 */
import { type BoundBehaviour, bindBehaviour, worker } from "@swarmlink/behaviours";
import type { Agent, Swarm } from "@swarmlink/sdk";
import type { Store } from "@swarmlink/store";
import { fromPromise } from "xstate";

/** What a robot is. */
export interface RobotOptions {
  id: string;
  /** Where it starts, in metres. */
  position: { x: number; y: number };
  /** How fast it drives, in metres per second. @default 20 */
  speedMps?: number;
  /** Where its behaviour's snapshot is kept (restored after a restart). */
  store?: Store;
}

/** A running robot: `stop()` unbinds the behaviour and leaves the swarm (running work finishes first). */
export interface Robot {
  agent: Agent;
  bound: BoundBehaviour<typeof worker>;
  stop(): Promise<void>;
}

/** Waits `ms`, or rejects with the signal's reason when it aborts (a cancel, the agent closing). */
function drive(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    const t = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** Registers robot `opts.id` with capability `deliver` and binds it to the `worker` behaviour. */
export async function startRobot(swarm: Swarm, opts: RobotOptions): Promise<Robot> {
  const speedMps = opts.speedMps ?? 20;
  const here = { ...opts.position };
  const agent = await swarm.agent({
    id: opts.id,
    kind: "robot",
    capabilities: ["deliver"],
    credits: 1,
    position: here,
  });
  const machine = worker.provide({
    actors: {
      execute: fromPromise(async ({ input, signal }) => {
        const c = input.task.position?.cartesian;
        const to = { x: c?.x ?? here.x, y: c?.y ?? here.y };
        const metres = Math.hypot(to.x - here.x, to.y - here.y);
        const steps = Math.max(1, Math.ceil((metres / speedMps) * 20)); // a pose every 50 ms
        const from = { ...here };
        for (let i = 1; i <= steps; i++) {
          await drive(50, signal);
          here.x = from.x + ((to.x - from.x) * i) / steps;
          here.y = from.y + ((to.y - from.y) * i) / steps;
          agent.telemetry("pose", here, { conflate: true });
        }
        return { deliveredBy: agent.id, at: { x: here.x, y: here.y }, metres: Math.round(metres * 10) / 10 };
      }),
    },
  });
  const bound = await bindBehaviour(agent, machine, {
    capabilities: ["deliver"],
    ...(opts.store ? { store: opts.store } : {}),
  });
  return {
    agent,
    bound,
    stop: async () => {
      await bound.stop();
      await agent.close();
    },
  };
}
