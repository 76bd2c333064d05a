/**
 * Many devices on raw sockets, for the connections benchmark: the same packets to every server.
 * "idle": CONNECT (MQTT 3.1.1, clean session, keep-alive off), done at CONNACK. "registered": what
 * firmware does next (examples/firmware-sim): SUBSCRIBE to its own topics (`mqttFilters.toAgent`,
 * QoS 1) and PUBLISH its descriptor on `swarm/{id}/register` (QoS 1), done at SUBACK and PUBACK.
 */
import net from "node:net";
import { mqttFilters, mqttTopics } from "@swarmlink/protocol";
import mqttPacket from "mqtt-packet";

export type Scenario = "idle" | "registered";

const DESCRIPTOR = JSON.stringify({ kind: "robot", capabilities: ["lift"], credits: 1 });

/** Opens one device's connection; resolves with its socket once the scenario's acks are in. */
function connectOne(port: number, id: string, scenario: Scenario): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1");
    s.setNoDelay(true);
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    let acks = scenario === "idle" ? 1 : 3; // CONNACK (+ SUBACK, PUBACK)
    const fail = (err: Error) => {
      s.destroy();
      reject(err);
    };
    s.once("error", fail);
    parser.on("error", fail);
    parser.on("packet", (p) => {
      if (p.cmd === "connack" && p.returnCode !== 0) return fail(new Error(`${id}: CONNACK ${p.returnCode}`));
      if (p.cmd === "connack" && scenario === "registered") {
        const subscriptions = mqttFilters.toAgent(id).map((topic) => ({ topic, qos: 1 as const }));
        s.write(mqttPacket.generate({ cmd: "subscribe", messageId: 1, subscriptions }));
        s.write(
          mqttPacket.generate({
            cmd: "publish",
            messageId: 2,
            qos: 1,
            dup: false,
            retain: false,
            topic: mqttTopics.register(id),
            payload: DESCRIPTOR,
          }),
        );
      }
      if (--acks > 0) return;
      s.removeAllListeners("data");
      s.removeAllListeners("error");
      s.on("error", () => {});
      resolve(s);
    });
    s.on("data", (d: Buffer) => parser.parse(d));
    s.once("connect", () => {
      const connect = { cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clean: true, keepalive: 0 };
      s.write(mqttPacket.generate({ ...connect, clientId: id } as mqttPacket.IConnectPacket));
    });
  });
}

/**
 * Connects up to `n` devices (ids `{prefix}-{i}`), `concurrency` at a time, for at most
 * `budgetMs`; resolves with the open sockets and the time it took.
 */
export async function connectFleet(
  port: number,
  o: { n: number; scenario: Scenario; prefix: string; concurrency: number; budgetMs: number },
): Promise<{ sockets: net.Socket[]; ms: number }> {
  const sockets: net.Socket[] = [];
  let next = 0;
  const t0 = performance.now();
  const lane = async () => {
    while (next < o.n && performance.now() - t0 < o.budgetMs) {
      sockets.push(await connectOne(port, `${o.prefix}-${next++}`, o.scenario));
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, lane));
  return { sockets, ms: performance.now() - t0 };
}

/** Closes every socket, and gives the server a moment to notice. */
export async function closeFleet(sockets: net.Socket[]): Promise<void> {
  for (const s of sockets) s.destroy();
  await new Promise((r) => setTimeout(r, 500));
}
