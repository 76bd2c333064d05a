import { type EnvelopeEncoder, envelopeEncoder } from "@swarmlink/protocol";
import type { ParsedDispatcherOptions } from "./options.js";

/**
 * The Envelopes a term sends for every task (its events, its awards), each from an encoder made
 * once per term: the type and the coordinator's id are checked and encoded once, not per message.
 */
export interface TermEnvelopes {
  taskInfo: EnvelopeEncoder;
  award: EnvelopeEncoder;
  awardBatch: EnvelopeEncoder;
}

export function termEnvelopes(o: Pick<ParsedDispatcherOptions, "coordinatorId" | "clock">): TermEnvelopes {
  const of = (type: string) => envelopeEncoder(type, o.coordinatorId, { clock: o.clock });
  return {
    taskInfo: of("swarmlink.v1.TaskInfo"),
    award: of("swarmlink.v1.Award"),
    awardBatch: of("swarmlink.v1.AwardBatch"),
  };
}
