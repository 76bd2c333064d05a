#!/usr/bin/env node
import { main, processIo } from "./main.js";

const code = await main(process.argv.slice(2), processIo());
process.exitCode = code;
// Long-running commands return once drained; anything left (a stray socket) must not hold the exit.
setTimeout(() => process.exit(code), 2000).unref();
