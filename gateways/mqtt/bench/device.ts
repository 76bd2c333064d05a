/**
 * One simulated robot (examples/firmware-sim) in its own process, for the command round trip:
 *   device.ts URL ID VERSION
 * prints "ready" once connected and subscribed; leaves (presence offline, DISCONNECT) when stdin closes.
 */
import { SimRobot } from "../../../examples/firmware-sim/robot.js";

const [url, id, version] = process.argv.slice(2);
const robot = new SimRobot(
  { url: url as string, id: id as string, poseHz: 1, workMs: 10, protocolVersion: version === "5" ? 5 : 4 },
  0,
);
await robot.connected();
await new Promise((r) => setTimeout(r, 100)); // its SUBSCRIBE is acknowledged
process.stdout.write("ready\n");
process.stdin.resume();
process.stdin.on("end", () => {
  void robot.stop().then(() => process.exit(0));
});
