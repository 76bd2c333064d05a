import type { Inbound } from "./types.js";

/**
 * `swarm/{id}/presence` (the last will, QoS 1): `{"status":"offline"}` deregisters the device. A
 * will of a connection that was taken over by a newer one with the same client id
 * [MQTT-3.1.4-2] is ignored: the device is back already.
 */
export async function onPresence({ session, payload, codec, current }: Inbound<"presence">): Promise<void> {
  if (codec.presence(payload) === "offline" && current) await session.close("offline");
}
