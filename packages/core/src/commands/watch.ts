import {
  abortError,
  type Clock,
  type CommandReceipt,
  decodeEnvelope,
  isSwarmError,
  subjects,
  type TimerHandle,
  unwrapAs,
} from "@swarmlink/protocol";
import type { Bus } from "@swarmlink/transport";
import { isSettled, stateRank } from "./wire.js";

/** What a watch needs from its client. */
export interface WatchDeps {
  bus: Bus;
  clock: Clock;
  pollMs: number;
  /** Reads the current receipt (a `commandGet` request). */
  get(commandId: string, signal: AbortSignal | undefined): Promise<CommandReceipt>;
}

/**
 * The newest receipt not yet taken, by state rank: a one-slot buffer whose overflow policy is
 * conflate (a watcher only cares where the command is now). A failure ends the wait with it.
 */
class LatestReceipt {
  #held: CommandReceipt | undefined;
  #failed: unknown;
  #wake: (() => void) | undefined;

  offer(r: CommandReceipt): void {
    if (!this.#held || stateRank(r.state) >= stateRank(this.#held.state)) this.#held = r;
    this.#wake?.();
  }

  fail(err: unknown): void {
    this.#failed ??= err;
    this.#wake?.();
  }

  async take(signal: AbortSignal | undefined): Promise<CommandReceipt> {
    for (;;) {
      if (signal?.aborted) throw abortError(signal);
      if (this.#failed !== undefined) throw this.#failed;
      const r = this.#held;
      if (r) {
        this.#held = undefined;
        return r;
      }
      await new Promise<void>((resolve) => {
        const onAbort = () => resolve();
        signal?.addEventListener("abort", onAbort, { once: true });
        this.#wake = () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }
}

/**
 * Yields the receipt of `commandId` as it stands, then each move forward (QUEUED → DELIVERED →
 * REPLIED | EXPIRED), and ends once it is settled. Changes come from `subjects.commandReceipt(id)`;
 * since a publish may be lost (core NATS is at most once), the receipt is also read again every
 * `pollMs`. A step back (a delivery that found the agent gone returns the receipt to QUEUED) is
 * not shown. Throws `E_NOT_FOUND` when the receipt does not exist or disappears.
 */
export async function* watchReceipt(
  deps: WatchDeps,
  commandId: string,
  signal: AbortSignal | undefined,
): AsyncGenerator<CommandReceipt, void, undefined> {
  const box = new LatestReceipt();
  const sub = deps.bus.subscribe(subjects.commandReceipt(commandId), {
    maxPending: 16,
    callback: (err, msg) => {
      if (err) return box.fail(err);
      try {
        const r = unwrapAs(decodeEnvelope(msg.data), "swarmlink.v1.CommandReceipt");
        if (r.commandId === commandId) box.offer(r);
      } catch {
        // Not a receipt: whoever published it, it is not ours to fail on.
      }
    },
  });
  let timer: TimerHandle | undefined;
  let ended = false;
  const poll = () => {
    if (ended) return;
    timer = deps.clock.setTimeout(() => {
      deps.get(commandId, signal).then(
        (r) => {
          box.offer(r);
          poll();
        },
        (err: unknown) => {
          // A lost receipt ends the watch; a slow or unreachable router is asked again later.
          if (isSwarmError(err, "E_NOT_FOUND", "E_ABORTED", "E_CLOSED")) box.fail(err);
          else poll();
        },
      );
    }, deps.pollMs);
  };
  try {
    let last = await deps.get(commandId, signal);
    yield last;
    if (isSettled(last.state)) return;
    poll();
    for (;;) {
      const r = await box.take(signal);
      if (stateRank(r.state) <= stateRank(last.state)) continue;
      last = r;
      yield r;
      if (isSettled(r.state)) return;
    }
  } finally {
    ended = true;
    deps.clock.clearTimeout(timer);
    sub.unsubscribe();
  }
}
