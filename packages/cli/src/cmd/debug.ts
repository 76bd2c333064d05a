import { decodeEnvelope, unwrap } from "@swarmlink/protocol";
import { intArg, parse, SERVER_OPTIONS } from "../args.js";
import { UsageError } from "../errors.js";
import type { Io } from "../io.js";
import { interrupted, withRemote } from "./common.js";

const encoder = new TextEncoder();

/** `swarm pub SUBJECT DATA`, `swarm sub SUBJECT`, `swarm req SUBJECT DATA` — raw Bus access, NATS only. */
export async function debug(verb: "pub" | "sub" | "req", argv: string[], io: Io): Promise<number> {
  const { values: v, positionals } = parse(verb, argv, { ...SERVER_OPTIONS, count: { type: "string" } });
  if (v.help) return io.help(verb);
  const [subject, data, ...extra] = positionals;
  if (!subject) throw new UsageError(`${verb} needs a SUBJECT`, verb);
  if (extra.length || (verb === "sub" && data !== undefined))
    throw new UsageError(`unexpected argument '${extra[0] ?? data}'`, verb);
  const server = v.server ?? io.env.SWARM_SERVER;
  if (!server || !/^(nats|tls):\/\//.test(server))
    throw new UsageError(`${verb} works over NATS only: give --server nats://…`, verb);
  const count = intArg(verb, "--count", v.count, 1);
  return withRemote(verb, { ...v, server }, io, async (r) => {
    const bus = r.bus!;
    const bytes = encoder.encode(data ?? "");
    if (verb === "pub") {
      bus.publish(subject, bytes);
      await bus.flush();
      return 0;
    }
    if (verb === "req") {
      const reply = await bus.request(subject, bytes, {
        timeout: intArg(verb, "--timeout-ms", v["timeout-ms"], 1) ?? 5000,
      });
      io.out(`${show(reply.data)}\n`);
      return 0;
    }
    const signal = interrupted();
    let n = 0;
    for await (const m of bus.subscribe(subject, { signal })) {
      io.out(
        v.json
          ? `${JSON.stringify({ subject: m.subject, data: show(m.data) })}\n`
          : `[${m.subject}] ${show(m.data)}\n`,
      );
      if (count && ++n >= count) break;
    }
    return 0;
  });
}

/** A message as text: a Swarmlink Envelope as its type and payload (JSON), else UTF-8. */
function show(data: Uint8Array): string {
  try {
    const env = decodeEnvelope(data);
    let payload: unknown = env.payload;
    try {
      payload = unwrap(env).payload;
    } catch {
      // a type this build does not know: the bytes, as base64
    }
    const { id, type, source, timeMs, correlationId } = env;
    return JSON.stringify({ id, type, source, timeMs, correlationId, payload }, (_k, val: unknown) =>
      val instanceof Uint8Array
        ? Buffer.from(val).toString("base64")
        : typeof val === "bigint"
          ? String(val)
          : val,
    );
  } catch {
    return new TextDecoder().decode(data);
  }
}
