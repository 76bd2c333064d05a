import { readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Where a running `swarm up` / `swarm demo` leaves its HTTP address for operator commands. */
export const SERVER_FILE = join(tmpdir(), "swarmlink-server");

export async function rememberServer(url: string): Promise<void> {
  await writeFile(SERVER_FILE, `${url}\n`).catch(() => {});
}

/** Removes the file, if it still names this node (a later node may have taken it over). */
export async function forgetServer(url: string): Promise<void> {
  if ((await rememberedServer()) === url) await rm(SERVER_FILE, { force: true }).catch(() => {});
}

export async function rememberedServer(): Promise<string | undefined> {
  const text = await readFile(SERVER_FILE, "utf8").catch(() => "");
  return text.trim() || undefined;
}
