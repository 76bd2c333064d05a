import net from "node:net";
import type { Duplex } from "node:stream";
import tls from "node:tls";
import type { Aedes } from "aedes";
import { type FrameViolation, guardFrames } from "./frame-guard.js";
import type { ParsedGatewayOptions } from "./options.js";
import type { StatsCounter } from "./stats.js";

/**
 * The TCP (or TLS) listener in front of aedes: no-delay on every socket (Nagle's algorithm with
 * delayed ACKs adds ~40–90 ms to every QoS 1 round trip) and the frame guard (oversize, malformed
 * fixed headers) before aedes buffers anything. Resolves once listening.
 */
export async function listen(
  o: ParsedGatewayOptions,
  aedes: Aedes,
  stats: StatsCounter,
): Promise<net.Server> {
  const onViolation = (v: FrameViolation, socket: Duplex) => {
    stats.refuse(v);
    o.log.warn({ remote: (socket as net.Socket).remoteAddress, violation: v }, "connection cut: bad frame");
  };
  const onSocket = (socket: net.Socket) => {
    socket.setNoDelay(true);
    guardFrames(socket, o.maxPacketBytes, onViolation);
    aedes.handle(socket);
  };
  const server = o.tls
    ? tls.createServer({ key: o.tls.key, cert: o.tls.cert }, onSocket)
    : net.createServer(onSocket);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, o.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return server;
}
