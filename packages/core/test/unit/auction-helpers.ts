import {
  encodeEnvelope,
  SimulatedClock,
  subjects,
  swarmlink,
  type Task,
  TaskStrategy,
  wrap,
} from "@swarmlink/protocol";
import { MemoryBus } from "@swarmlink/transport";
import { readOffer } from "../../src/dispatcher/auction/mod.js";

/** A start time the Envelope accepts (its `timeMs` must be positive). */
export const T0 = 1_700_000_000_000;

export function task(id = "task-1"): Task {
  return swarmlink.v1.Task.create({ id, kind: "pick", strategy: TaskStrategy.TASK_STRATEGY_AUCTION });
}

/** An encoded Bid Envelope, with whatever fields a test wants, valid or not. */
export function bidBytes(taskId: string, agentId: string, cost: number, round = 1): Uint8Array {
  return encodeEnvelope(wrap("swarmlink.v1.Bid", { taskId, agentId, cost, round }, { source: agentId }));
}

/** Lets the memory Bus hand out what it holds (its callbacks run in microtasks). */
export function settle(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

/** A memory Bus, a simulated clock, and the offers each agent received. */
export class World {
  readonly bus = new MemoryBus();
  readonly clock = new SimulatedClock(T0);
  readonly offers = new Map<string, ReturnType<typeof readOffer>[]>();

  /** Records offers to `agentIds` (without answering them). */
  listen(...agentIds: string[]): void {
    for (const id of agentIds) {
      this.offers.set(id, []);
      this.bus.subscribe(subjects.agentTaskOffer(id), {
        callback: (_e, msg) => this.offers.get(id)!.push(readOffer(msg.data)),
      });
    }
  }

  bid(taskId: string, agentId: string, cost: number, round = 1): void {
    this.bus.publish(subjects.taskBid(taskId), bidBytes(taskId, agentId, cost, round));
  }

  close(): Promise<void> {
    return this.bus.close();
  }
}
