import type { Duplex } from "node:stream";

/** Why a frame guard cut a connection. */
export type FrameViolation = "oversize" | "malformed";

/** Told of a violation on `stream`, just before the guard destroys it. */
export type OnViolation = (violation: FrameViolation, stream: Duplex) => void;

/** Where a guard is in the stream of packets: state of one connection, kept small (a fleet has many). */
class FrameScanner {
  state: "header" | "length" | "body" = "header";
  length = 0;
  multiplier = 1;
  lengthBytes = 0;
  remaining = 0;
  first = true;

  constructor(
    readonly maxPacketBytes: number,
    readonly onViolation: OnViolation,
    /** The stream's own `read`, which the guard wraps. */
    readonly read: Duplex["read"],
  ) {}

  scan(buf: Buffer): FrameViolation | undefined {
    let i = 0;
    while (i < buf.length) {
      if (this.state === "header") {
        const type = (buf[i++] as number) >> 4;
        // the first packet must be CONNECT [MQTT-3.1.0-1]; types 0 and 15 are reserved [MQTT-2.2.1]
        if ((this.first && type !== 1) || type === 0 || type === 15) return "malformed";
        this.first = false;
        this.state = "length";
        this.length = 0;
        this.multiplier = 1;
        this.lengthBytes = 0;
      } else if (this.state === "length") {
        const b = buf[i++] as number;
        this.length += (b & 0x7f) * this.multiplier;
        this.lengthBytes++;
        if (b & 0x80) {
          if (this.lengthBytes === 4) return "malformed";
          this.multiplier *= 128;
          continue;
        }
        if (1 + this.lengthBytes + this.length > this.maxPacketBytes) return "oversize";
        this.remaining = this.length;
        this.state = this.remaining > 0 ? "body" : "header";
      } else {
        const n = Math.min(this.remaining, buf.length - i);
        i += n;
        this.remaining -= n;
        if (this.remaining === 0) this.state = "header";
      }
    }
    return undefined;
  }
}

const SCANNER = Symbol("frameScanner");
type Guarded = Duplex & { [SCANNER]: FrameScanner };

/** The `read` of every guarded stream: one function for all, the state on the stream. */
function guardedRead(this: Guarded, size?: number): unknown {
  const scanner = this[SCANNER];
  const buf = scanner.read.call(this, size) as Buffer | null;
  if (buf === null || this.destroyed) return buf;
  const violation = scanner.scan(buf);
  if (!violation) return buf;
  scanner.onViolation(violation, this);
  this.destroy();
  return null;
}

/**
 * Watches the MQTT fixed headers going by on a stream and cuts the connection on a frame larger
 * than `maxPacketBytes` (before buffering it) or a Remaining Length of more than four bytes
 * [MQTT-2.2.3], a first packet that is not CONNECT or a reserved packet type. It wraps this
 * stream's `read` (aedes reads in paused mode), so reading, pausing and back-pressure stay the
 * stream's own.
 */
export function guardFrames(stream: Duplex, maxPacketBytes: number, onViolation: OnViolation): void {
  (stream as Guarded)[SCANNER] = new FrameScanner(maxPacketBytes, onViolation, stream.read);
  stream.read = guardedRead as Duplex["read"];
}
