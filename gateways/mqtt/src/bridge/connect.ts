import { isSwarmError, SwarmError } from "@swarmlink/protocol";
import mqtt from "mqtt";
import type { ParsedBridgeOptions } from "./options.js";

/** One connection attempt with MQTT `version`; reconnects (every `reconnectMs`) only once it has been accepted. */
async function tryVersion(o: ParsedBridgeOptions, version: 4 | 5): Promise<mqtt.MqttClient> {
  const client = mqtt.connect(o.url, {
    clientId: o.clientId,
    protocolVersion: version,
    clean: true,
    username: o.username,
    password: o.password,
    connectTimeout: o.connectTimeoutMs,
    reconnectPeriod: 0, // until the first CONNACK: a refusal is an answer
    resubscribe: false, // the bridge subscribes on every connect itself
    queueQoSZero: false,
  });
  let onConnect = () => {};
  let onFail: (err?: Error) => void = () => {};
  try {
    await new Promise<void>((resolve, reject) => {
      onConnect = () => resolve();
      onFail = (err) => reject(err ?? new Error("connection closed before CONNACK"));
      client.once("connect", onConnect).once("error", onFail).once("close", onFail);
    });
  } catch (err) {
    client.end(true);
    const v = version === 5 ? "5" : "3.1.1";
    throw new SwarmError("E_UNAVAILABLE", `broker refused MQTT ${v}: ${String(err)}`, { url: o.url });
  } finally {
    client
      .removeListener("connect", onConnect)
      .removeListener("error", onFail)
      .removeListener("close", onFail);
  }
  client.options.reconnectPeriod = o.reconnectMs;
  return client;
}

/**
 * Connects the bridge to its broker: MQTT 5 where the broker speaks it (protocolVersion "auto"
 * tries 5, then 3.1.1), or the version asked for.
 *
 * @throws SwarmError `E_UNAVAILABLE` when the broker does not accept the connection.
 */
export async function connectBroker(
  o: ParsedBridgeOptions,
): Promise<{ client: mqtt.MqttClient; version: 4 | 5 }> {
  if (o.protocolVersion !== "auto")
    return { client: await tryVersion(o, o.protocolVersion), version: o.protocolVersion };
  try {
    return { client: await tryVersion(o, 5), version: 5 };
  } catch (err) {
    if (!isSwarmError(err, "E_UNAVAILABLE")) throw err;
    return { client: await tryVersion(o, 4), version: 4 };
  }
}
