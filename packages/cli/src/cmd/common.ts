import { intArg } from "../args.js";
import type { Io } from "../io.js";
import { connectRemote, defaultServer, type Remote } from "../remote.js";

/** The flags every operator command shares (SERVER_OPTIONS). */
export interface ServerFlags {
  server?: string | undefined;
  store?: string | undefined;
  "timeout-ms"?: string | undefined;
}

/** Runs `fn` against the swarm of the flags, closing the connection after. */
export async function withRemote<T>(
  command: string,
  flags: ServerFlags,
  io: Io,
  fn: (r: Remote) => Promise<T>,
): Promise<T> {
  const remote = await connectRemote(command, flags.server ?? (await defaultServer(io.env)), {
    store: flags.store ?? io.env.SWARM_STORE,
    timeoutMs: intArg(command, "--timeout-ms", flags["timeout-ms"], 1),
  });
  try {
    return await fn(remote);
  } finally {
    await remote.close();
  }
}

/** Resolves after `ms`, or at once when `signal` fires. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    const done = () => {
      clearTimeout(t);
      resolve();
    };
    signal.addEventListener("abort", done, { once: true });
  });
}

/** An AbortSignal that fires on SIGINT/SIGTERM (for `--watch`, `top`, `sub`). */
export function interrupted(): AbortSignal {
  const ac = new AbortController();
  const stop = () => ac.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  ac.signal.addEventListener("abort", () => {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  });
  return ac.signal;
}
