#!/usr/bin/env node
// The `swarm` command: runs the built CLI (packages/cli/dist), which `npm run build` makes.
import { existsSync } from "node:fs";

const built = new URL("../dist/bin.js", import.meta.url);
if (!existsSync(built)) {
  process.stderr.write("swarm: not built yet — run `npm run build` at the repository root first\n");
  process.exit(1);
}
await import(built.href);
