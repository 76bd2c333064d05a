import { isPushBack } from "../pressure.js";
import type { Inbound } from "./types.js";

/**
 * `swarm/{id}/register` (QoS 1): registers the device with its descriptor; the PUBACK goes out once
 * the registry has answered, so the device knows it is in the swarm [MQTT-4.3.2-2 allows the
 * Server to delay PUBACK until it has taken ownership of the message].
 */
export async function onRegister({ ctx, session, payload, codec }: Inbound<"register">): Promise<void> {
  const descriptor = codec.descriptor(session.agentId, payload);
  try {
    const epoch = await session.register(descriptor);
    ctx.o.log.info({ agentId: session.agentId, epoch }, "device registered");
  } catch (err) {
    if (isPushBack(err)) throw err; // the PUBACK waits until the Bus takes it
    ctx.stats.refuse("register-failed");
    ctx.o.log.warn({ agentId: session.agentId, err }, "device registration failed");
  }
}
