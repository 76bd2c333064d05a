import { request } from "node:http";
import { connect } from "node:net";
import { HarnessError } from "./errors.js";
import { HOST } from "./ports.js";

/** How long one probe waits for its answer, in ms. */
export const DEFAULT_PROBE_TIMEOUT_MS = 1_000;

/** Options of every probe. */
export interface ProbeOptions {
  /** Give up after this many ms. @default 1000 */
  readonly timeoutMs?: number;
  /** @default "127.0.0.1" */
  readonly host?: string;
}

/**
 * Connects, writes `hello`, and reads until `parse` returns a value. Rejects with
 * `E_HARNESS_PROBE` on a refused connection, a closed socket, or no answer in time (a paused server
 * still accepts connections in the kernel but never answers).
 */
export function exchange<T>(
  port: number,
  hello: Uint8Array | undefined,
  parse: (received: Buffer) => T | undefined,
  opts: ProbeOptions = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  const host = opts.host ?? HOST;
  return new Promise((resolve, reject) => {
    let received = Buffer.alloc(0);
    let settled = false;
    const socket = connect({ host, port });
    const fail = (why: string, cause?: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      reject(new HarnessError("E_HARNESS_PROBE", `${host}:${port}: ${why}`, { port }, { cause }));
    };
    const timer = setTimeout(() => fail(`no answer within ${timeoutMs} ms`), timeoutMs);
    socket.once("connect", () => {
      if (hello) socket.write(hello);
    });
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      let value: T | undefined;
      try {
        value = parse(received);
      } catch (err) {
        fail(err instanceof Error ? err.message : String(err), err);
        return;
      }
      if (value === undefined || settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(value);
    });
    socket.once("error", (err) => fail(err.message, err));
    socket.once("close", () => fail("connection closed before an answer"));
  });
}

/** The server's `INFO` JSON, read from the first line a NATS server sends. */
export function probeNats(port: number, opts?: ProbeOptions): Promise<Record<string, unknown>> {
  return exchange(
    port,
    undefined,
    (buf) => {
      const end = buf.indexOf("\r\n");
      if (end < 0) return undefined;
      const line = buf.subarray(0, end).toString("utf8");
      if (!line.startsWith("INFO ")) throw new Error(`expected INFO, got ${JSON.stringify(line)}`);
      return JSON.parse(line.slice(5)) as Record<string, unknown>;
    },
    opts,
  );
}

/** Sends `PING` to Redis and resolves when it answers `+PONG`. */
export function probeRedis(port: number, opts?: ProbeOptions): Promise<void> {
  return exchange(
    port,
    Buffer.from("PING\r\n"),
    (buf) => {
      const end = buf.indexOf("\r\n");
      if (end < 0) return undefined;
      const line = buf.subarray(0, end).toString("utf8");
      if (line !== "+PONG") throw new Error(`expected +PONG, got ${JSON.stringify(line)}`);
      return true;
    },
    opts,
  ).then(() => undefined);
}

/**
 * An MQTT 3.1.1 CONNECT: clean session, keep-alive 60 s, empty client id [MQTT-3.1.3-6], followed by
 * nothing; the broker must answer CONNACK [MQTT-3.2.0-1].
 */
const MQTT_CONNECT = Uint8Array.from([
  0x10, 0x0c, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x3c, 0x00, 0x00,
]);

/** Connects with MQTT 3.1.1 and resolves with the CONNACK return code (0 is "accepted"). */
export function probeMqtt(port: number, opts?: ProbeOptions): Promise<number> {
  return exchange(
    port,
    MQTT_CONNECT,
    (buf) => {
      if (buf.length < 4) return undefined;
      if (buf[0] !== 0x20) throw new Error(`expected CONNACK (0x20), got 0x${buf[0]?.toString(16)}`);
      return buf[3] ?? -1;
    },
    opts,
  );
}

/** The AMQP 0-9-1 protocol header a client sends first. */
const AMQP_HEADER = Uint8Array.from([0x41, 0x4d, 0x51, 0x50, 0x00, 0x00, 0x09, 0x01]);

/** Sends the AMQP 0-9-1 protocol header and resolves when a method frame (Connection.Start) comes back. */
export function probeAmqp(port: number, opts?: ProbeOptions): Promise<void> {
  return exchange(
    port,
    AMQP_HEADER,
    (buf) => {
      if (buf.length < 1) return undefined;
      if (buf[0] !== 1) throw new Error(`expected a method frame (1), got ${buf[0]}`);
      return true;
    },
    opts,
  ).then(() => undefined);
}

/** GETs `path` from a monitoring port and parses the JSON body; any status but 200 rejects. */
export function getJson(port: number, path: string, opts: ProbeOptions = {}): Promise<unknown> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const req = request({ host: opts.host ?? HOST, port, path, timeout: timeoutMs, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        if (res.statusCode !== 200) {
          reject(
            new HarnessError("E_HARNESS_PROBE", `GET ${path} on ${port}: ${res.statusCode} ${body}`, {
              port,
            }),
          );
          return;
        }
        try {
          resolve(JSON.parse(body));
        } catch (err) {
          reject(
            new HarnessError("E_HARNESS_PROBE", `GET ${path} on ${port}: bad JSON`, { port }, { cause: err }),
          );
        }
      });
      res.on("error", (err) =>
        reject(new HarnessError("E_HARNESS_PROBE", err.message, { port }, { cause: err })),
      );
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", (err) =>
      reject(
        new HarnessError(
          "E_HARNESS_PROBE",
          `GET ${path} on ${port}: ${err.message}`,
          { port },
          { cause: err },
        ),
      ),
    );
    req.end();
  });
}
