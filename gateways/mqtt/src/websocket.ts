import http from "node:http";
import type net from "node:net";
import type { Aedes } from "aedes";
import { createWebSocketStream, WebSocketServer } from "ws";
import { guardFrames } from "./frame-guard.js";
import type { ParsedGatewayOptions } from "./options.js";
import type { StatsCounter } from "./stats.js";

/** A WebSocket listener: its HTTP server and the port it took. */
export interface WebSocketListener {
  port: number;
  close(): Promise<void>;
}

/**
 * MQTT over WebSocket (binary messages, subprotocol "mqtt", any path) on `o.websocket.port`, in
 * front of the same aedes broker: the same frame guard, no-delay sockets, and WebSocket messages
 * bounded by `maxPacketBytes`. Plain `ws://`; put TLS in front (a reverse proxy) for `wss://`.
 */
export async function listenWebSocket(
  o: ParsedGatewayOptions,
  ws: { port: number; host?: string },
  aedes: Aedes,
  stats: StatsCounter,
): Promise<WebSocketListener> {
  const server = http.createServer((_req, res) => {
    res.writeHead(426, { Upgrade: "websocket" }).end(); // only upgrades are served
  });
  const wss = new WebSocketServer({ server, maxPayload: o.maxPacketBytes });
  wss.on("connection", (socket, req) => {
    req.socket.setNoDelay(true);
    const stream = createWebSocketStream(socket);
    stream.on("error", () => {}); // aedes hears the close; a reset needs no second report
    guardFrames(stream, o.maxPacketBytes, (v) => {
      stats.refuse(v);
      o.log.warn({ remote: req.socket.remoteAddress, violation: v }, "websocket cut: bad frame");
    });
    aedes.handle(stream, req);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(ws.port, ws.host ?? o.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
