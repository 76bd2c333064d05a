#!/usr/bin/env node
// The npm registry this project is built against serves only this platform's prebuilt binaries, so
// `npm install` writes a lock without the other platforms' optional packages (biome, buf, turbo), and
// `npm ci` then calls the lock out of sync. This adds each missing one as an optional entry limited
// to its os/cpu: `npm ci` skips it on every other platform, as it would skip a complete entry.
// Run it after `npm install` changes the lock.
import { readFileSync, writeFileSync } from "node:fs";

const file = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(file, "utf8"));
const pkgs = lock.packages;
const present = (name) =>
  Object.keys(pkgs).some((k) => k === `node_modules/${name}` || k.endsWith(`/node_modules/${name}`));

/** os and cpu from a platform package name such as `@biomejs/cli-darwin-arm64` or `@turbo/windows-64`. */
function platformOf(name) {
  const os = ["darwin", "linux", "win32", "windows", "android", "freebsd"].find(
    (o) => name.includes(`-${o}-`) || name.includes(`/${o}-`),
  );
  const cpu = ["arm64", "x64", "armv7", "64", "ia32"].find(
    (c) => name.endsWith(`-${c}`) || name.includes(`-${c}-`),
  );
  if (!os || !cpu) return undefined;
  const entry = {
    os: [os === "windows" ? "win32" : os],
    cpu: [cpu === "64" ? "x64" : cpu === "armv7" ? "arm" : cpu],
  };
  if (name.includes("-musl")) entry.libc = ["musl"];
  return entry;
}

let added = 0;
for (const [key, meta] of Object.entries({ ...pkgs })) {
  for (const [dep, version] of Object.entries(meta.optionalDependencies ?? {})) {
    if (present(dep)) continue;
    const platform = platformOf(dep);
    if (!platform) {
      console.error(`lock-other-platforms: ${dep} (of ${key}) is missing and is not a platform package`);
      process.exitCode = 1;
      continue;
    }
    pkgs[`node_modules/${dep}`] = { version, ...platform, dev: meta.dev, optional: true };
    added++;
  }
}
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`lock-other-platforms: added ${added} entries`);
