import { createServer } from "node:net";
import { HarnessError } from "./errors.js";

/** Loopback only: no harness server is ever reachable from another host. */
export const HOST = "127.0.0.1";

/**
 * Ports handed out by this process and not yet released. The kernel may hand the same ephemeral
 * port to two `listen(0)` calls in a row once the first socket is closed; remembering them keeps two
 * servers of one test run from being given the same port, and keeps a killed server's port for its
 * restart.
 */
const issued = new Set<number>();

/** How many times {@link freePort} asks the kernel before giving up on finding an unissued port. */
const MAX_ATTEMPTS = 50;

function bindEphemeral(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once("error", reject);
    srv.listen({ host: HOST, port: 0, exclusive: true }, () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * A TCP port on 127.0.0.1 that was free a moment ago: binds port 0, reads the port, closes.
 * Another process may still take it before the server binds it; the `start*` functions retry on
 * "address in use" with a fresh port.
 *
 * @example
 * ```ts
 * const port = await freePort();
 * ```
 */
export async function freePort(): Promise<number> {
  for (let i = 0; i < MAX_ATTEMPTS; i++) {
    const port = await bindEphemeral();
    if (port > 0 && !issued.has(port)) {
      issued.add(port);
      return port;
    }
  }
  throw new HarnessError(
    "E_HARNESS_START",
    `no unissued free port found on ${HOST} in ${MAX_ATTEMPTS} attempts`,
  );
}

/** Lets {@link freePort} hand `ports` out again (after the server that held them is stopped). */
export function releasePorts(...ports: number[]): void {
  for (const port of ports) issued.delete(port);
}
