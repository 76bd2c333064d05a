/** The kinds of frame an agent reads from the Bus (besides replies to its own requests). */
export type FrameKind = "award" | "awardBatch" | "offer" | "cancel" | "command" | "presence";

/**
 * Counts a frame that could not be read; it is ignored (an award is answered REJECTED, an award
 * batch with an Error).
 */
export type CountMalformed = (kind: FrameKind) => void;

/** A counter of unreadable frames by kind, and the function the agent's parts call. */
export function malformedCounter(): { counts: ReadonlyMap<FrameKind, number>; count: CountMalformed } {
  const counts = new Map<FrameKind, number>();
  return { counts, count: (kind) => counts.set(kind, (counts.get(kind) ?? 0) + 1) };
}
