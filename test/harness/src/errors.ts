/**
 * Every way the harness can fail has a stable code. Tests switch on `code`, never on the message
 * text; the table below is the documentation, and a test checks that every code has it.
 */
export const HARNESS_ERROR_CODES = {
  E_HARNESS_MISSING_BINARY: "a server binary is not installed; the message names the Debian package",
  E_HARNESS_START: "a server exited during start-up or did not become ready before the deadline",
  E_HARNESS_STOP: "a server process did not exit, even after SIGKILL",
  E_HARNESS_STATE: "the call does not fit the server's state (pause a killed server, restart a stopped one)",
  E_HARNESS_PROBE: "a protocol probe got no answer, a wrong answer, or timed out",
} as const;

/** One of the codes in {@link HARNESS_ERROR_CODES}. */
export type HarnessErrorCode = keyof typeof HARNESS_ERROR_CODES;

/** Context carried beside the message: server name, port, pid, the tail of the server's log. */
export type HarnessErrorContext = {
  server?: string;
  port?: number;
  pid?: number;
  binary?: string;
  debianPackage?: string;
  logTail?: string;
  /** The server exited at start-up because its port was taken: the caller may retry on another port. */
  addressInUse?: boolean;
};

/**
 * The one error type the harness throws. The message already contains the tail of the server's log
 * where there is one, so a failing test's output says why the server did not come up.
 *
 * @example
 * ```ts
 * try { await startRabbit(); }
 * catch (err) { if (err instanceof HarnessError && err.code === "E_HARNESS_MISSING_BINARY") console.error(err.message); throw err; }
 * ```
 */
export class HarnessError extends Error {
  override readonly name = "HarnessError";
  readonly code: HarnessErrorCode;
  readonly context: HarnessErrorContext;

  constructor(
    code: HarnessErrorCode,
    message: string,
    context: HarnessErrorContext = {},
    options?: { cause?: unknown },
  ) {
    super(
      context.logTail
        ? `${message}\n--- ${context.server ?? "server"} log (tail) ---\n${context.logTail}`
        : message,
      options,
    );
    this.code = code;
    this.context = context;
  }
}

/** True when `err` is a HarnessError, and (if given) of one of the codes. */
export function isHarnessError(err: unknown, ...codes: HarnessErrorCode[]): err is HarnessError {
  return err instanceof HarnessError && (codes.length === 0 || codes.includes(err.code));
}
