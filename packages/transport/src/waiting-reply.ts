import { abortError, type Clock, SwarmError } from "@swarmlink/protocol";
import type { Msg } from "./types.js";

/** One request waiting for its reply, settled once: by the reply, its deadline, its signal or its Bus closing. */
export interface WaitingReply {
  readonly subject: string;
  settle(err: SwarmError | undefined, msg?: Msg): void;
}

/**
 * A request's wait, shared by both Buses' reply tables: the promise of the reply, E_TIMEOUT after
 * `timeoutMs` on `clock`, the abort error when `signal` fires; `done` runs once when it settles
 * (the table forgets the request).
 */
export function waitForReply(
  subject: string,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  clock: Clock,
  done: () => void,
): { waiting: WaitingReply; reply: Promise<Msg> } {
  let settle!: WaitingReply["settle"];
  const reply = new Promise<Msg>((resolve, reject) => {
    let settled = false;
    settle = (err, msg) => {
      if (settled) return;
      settled = true;
      done();
      clock.clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      if (err) reject(err);
      else resolve(msg!);
    };
    const onAbort = () => settle(abortError(signal!));
    const timer = clock.setTimeout(
      () => settle(new SwarmError("E_TIMEOUT", "request timed out", { subject, timeoutMs })),
      timeoutMs,
    );
    signal?.addEventListener("abort", onAbort, { once: true });
  });
  return { waiting: { subject, settle }, reply };
}
