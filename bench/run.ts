/**
 * `npm run bench [suite…] [--json]`: runs the benchmark suites, each Swarmlink figure beside the raw
 * client's in the same run, on private servers started by the test harness. Progress goes to stderr,
 * the table (or JSON rows) to stdout.
 */
import { renderTable } from "./lib/table.js";
import type { Row, Suite } from "./lib/types.js";
import { busSuite } from "./suites/bus.js";
import { memoryBusSuite } from "./suites/memory-bus.js";
import {
  allocationSuite,
  auctionSuite,
  dispatchSuite,
  failoverSuite,
  mqttCommandSuite,
  mqttConnectionsSuite,
  mqttThroughputSuite,
  registrySuite,
  storeSuite,
} from "./suites/packages.js";
import { streamsSuite } from "./suites/streams.js";

const SUITES: Suite[] = [
  memoryBusSuite,
  busSuite,
  streamsSuite,
  storeSuite,
  registrySuite,
  auctionSuite,
  allocationSuite,
  dispatchSuite,
  failoverSuite,
  mqttThroughputSuite,
  mqttCommandSuite,
  mqttConnectionsSuite,
];

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const json = args.includes("--json");
  const wanted = args.filter((a) => !a.startsWith("--"));
  if (args.includes("--help")) {
    process.stdout.write(
      `usage: npm run bench -- [suite…] [--json]\nsuites:\n${SUITES.map((s) => `  ${s.name.padEnd(12)} ${s.description}`).join("\n")}\n`,
    );
    return 0;
  }
  const unknown = wanted.filter((w) => !SUITES.some((s) => s.name === w));
  if (unknown.length > 0) {
    process.stderr.write(
      `unknown suite(s): ${unknown.join(", ")}; known: ${SUITES.map((s) => s.name).join(", ")}\n`,
    );
    return 2;
  }
  const chosen = wanted.length > 0 ? SUITES.filter((s) => wanted.includes(s.name)) : SUITES;
  const rows: Row[] = [];
  for (const [i, suite] of chosen.entries()) {
    process.stderr.write(`[${i + 1}/${chosen.length}] ${suite.name}: ${suite.description}\n`);
    rows.push(...(await suite.run((msg) => process.stderr.write(`    ${msg}\n`))));
  }
  process.stdout.write(json ? `${JSON.stringify(rows, null, 2)}\n` : `${renderTable(rows)}\n`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  },
);
