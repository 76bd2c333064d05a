import { chown, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

/** A system account's ids, as `spawn` takes them. */
export interface SystemUser {
  readonly uid: number;
  readonly gid: number;
}

/**
 * The uid and primary gid of `name` from /etc/passwd, or undefined when there is no such user.
 * (Node has no getpwnam; the Debian packages create their users there, never in LDAP.)
 */
export async function systemUser(name: string): Promise<SystemUser | undefined> {
  const passwd = await readFile("/etc/passwd", "utf8").catch(() => "");
  for (const line of passwd.split("\n")) {
    const [user, , uid, gid] = line.split(":");
    if (user === name && uid !== undefined && gid !== undefined) {
      return { uid: Number.parseInt(uid, 10), gid: Number.parseInt(gid, 10) };
    }
  }
  return undefined;
}

/** Gives `path` and everything under it to `user` (a server that drops root must write its dir). */
export async function chownTree(path: string, user: SystemUser): Promise<void> {
  await chown(path, user.uid, user.gid);
  for (const entry of await readdir(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) await chownTree(child, user);
    else await chown(child, user.uid, user.gid);
  }
}
