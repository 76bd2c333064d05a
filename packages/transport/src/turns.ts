/**
 * How long a run of microtasks may go on before deliveries wait for the next event-loop turn, in ms.
 * Short enough that timers (lease renewals, request deadlines) are late by about this much at
 * worst; long enough that a normal burst of deliveries never leaves the microtask queue.
 */
export const TURN_BUDGET_MS = 10;

/** When the current run of microtasks began; negative when the event loop has had its turn since. */
let runStartedAt = -1;

function endRun(): void {
  runStartedAt = -1;
}

/**
 * Runs `fn` soon and never in the caller's stack: as a microtask while the current run of them is
 * younger than {@link TURN_BUDGET_MS}, otherwise on the next turn of the event loop (setImmediate).
 *
 * Deliveries that cause deliveries (an in-process pipeline on a MemoryBus, a flood of messages
 * from a socket) would otherwise form one unbroken chain of microtasks, and Node runs no timer, no
 * I/O and no setImmediate until the microtask queue is empty: a leader's lease renewal would wait
 * seconds behind a backlog.
 */
export function deliverSoon(fn: () => void): void {
  if (runIsLong()) setImmediate(fn);
  else microtask(fn);
}

const resolved = Promise.resolve();

/**
 * `queueMicrotask(fn)` without its cost: Node wraps every queueMicrotask callback in an
 * AsyncResource (about a sixth of the CPU of an in-process pipeline on the memory Bus); a resolved
 * promise's `then` runs `fn` in the same microtask queue. A throw still surfaces as an uncaught
 * exception, as it would from queueMicrotask, not as a rejection.
 */
export function microtask(fn: () => void): void {
  void resolved.then(() => {
    try {
      fn();
    } catch (err) {
      queueMicrotask(() => {
        throw err;
      });
    }
  });
}

/**
 * For a loop that hands out what it already holds without waiting (an iterator over a buffer):
 * a promise of the next event-loop turn once the current run of microtasks is past its budget,
 * undefined (go on) before that.
 */
export function turnIfLong(): Promise<void> | undefined {
  return runIsLong() ? new Promise((resolve) => setImmediate(resolve)) : undefined;
}

/** Whether the current run of microtasks is past its budget; starts timing one if none is. */
function runIsLong(): boolean {
  if (runStartedAt < 0) {
    runStartedAt = performance.now();
    setImmediate(endRun);
    return false;
  }
  return performance.now() - runStartedAt > TURN_BUDGET_MS;
}
