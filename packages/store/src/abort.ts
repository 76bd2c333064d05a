import { abortError } from "@swarmlink/protocol";

/**
 * Runs `run`, rejecting early with `abortError(signal)` if `signal` fires first (at once if it
 * already has). The work itself cannot be called back: a write may still land, like after a
 * timeout. What `run` produces after the abort goes to `discard` (e.g. a late connection to close).
 */
export function withSignal<T>(
  signal: AbortSignal | undefined,
  run: () => Promise<T>,
  discard?: (late: T) => unknown,
): Promise<T> {
  // Most calls carry no signal: no race, no listener, no extra async frame.
  if (!signal) {
    try {
      return run();
    } catch (err) {
      return Promise.reject(err);
    }
  }
  return race(signal, run, discard);
}

async function race<T>(
  signal: AbortSignal,
  run: () => Promise<T>,
  discard: ((late: T) => unknown) | undefined,
): Promise<T> {
  if (signal.aborted) throw abortError(signal);
  let onAbort: () => void = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(abortError(signal));
    signal.addEventListener("abort", onAbort, { once: true });
  });
  const work = run();
  try {
    return await Promise.race([work, aborted]);
  } catch (err) {
    // Lost the race to the signal: whatever the work still produces is nobody's.
    work.then(
      (late) => discard?.(late),
      () => {},
    );
    throw err;
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}
