import { type NatsServer, startNats } from "@swarmlink/harness";
import { NatsBus } from "@swarmlink/transport";
import { busConformance } from "@swarmlink/transport/testing";

let server: NatsServer | undefined;

busConformance("nats", async () => {
  server ??= await startNats();
  const url = server.url;
  const bus = await NatsBus.connect({ servers: url, name: "conformance" });
  return { bus, peer: () => NatsBus.connect({ servers: url, name: "conformance-peer" }) };
});

after(async () => {
  await server?.stop();
});
