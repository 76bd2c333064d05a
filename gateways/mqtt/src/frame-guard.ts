import type { Duplex } from "node:stream";

/** Why a frame guard cut a connection. */
export type FrameViolation = "oversize" | "malformed";

/**
 * Watches the MQTT fixed headers going by on a socket and cuts the connection on a frame larger
 * than `maxPacketBytes` (before buffering it) or a Remaining Length of more than four bytes
 * [MQTT-2.2.3], a first packet that is not CONNECT or a reserved packet type. It wraps this socket's `read` (aedes reads in paused mode), so reading, pausing
 * and back-pressure stay the socket's own.
 */
export function guardFrames(
  socket: Duplex,
  maxPacketBytes: number,
  onViolation: (v: FrameViolation) => void,
): void {
  let state: "header" | "length" | "body" = "header";
  let length = 0;
  let multiplier = 1;
  let lengthBytes = 0;
  let remaining = 0;
  let first = true;
  const read = socket.read.bind(socket);
  const scan = (buf: Buffer): FrameViolation | undefined => {
    let i = 0;
    while (i < buf.length) {
      if (state === "header") {
        const type = (buf[i++] as number) >> 4;
        // the first packet must be CONNECT [MQTT-3.1.0-1]; types 0 and 15 are reserved [MQTT-2.2.1]
        if ((first && type !== 1) || type === 0 || type === 15) return "malformed";
        first = false;
        state = "length";
        length = 0;
        multiplier = 1;
        lengthBytes = 0;
      } else if (state === "length") {
        const b = buf[i++] as number;
        length += (b & 0x7f) * multiplier;
        lengthBytes++;
        if (b & 0x80) {
          if (lengthBytes === 4) return "malformed";
          multiplier *= 128;
          continue;
        }
        if (1 + lengthBytes + length > maxPacketBytes) return "oversize";
        remaining = length;
        state = remaining > 0 ? "body" : "header";
      } else {
        const n = Math.min(remaining, buf.length - i);
        i += n;
        remaining -= n;
        if (remaining === 0) state = "header";
      }
    }
    return undefined;
  };
  socket.read = ((size?: number) => {
    const buf = read(size) as Buffer | null;
    if (buf === null || socket.destroyed) return buf;
    const violation = scan(buf);
    if (!violation) return buf;
    onViolation(violation);
    socket.destroy();
    return null;
  }) as Duplex["read"];
}
