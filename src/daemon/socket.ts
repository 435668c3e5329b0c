import { chmodSync, chownSync, lstatSync, mkdirSync, readFileSync, unlinkSync } from "node:fs";
import type { Server } from "node:net";
import { connect } from "node:net";
import { dirname } from "node:path";
import { conflict, invalid, NetledgerError } from "../domain/errors.js";

/**
 * The daemon's UNIX socket: mode 0660 from the moment it exists (the umask is set around listen, so
 * there is no window in which others could connect), owned by a group whose members may use it.
 * Anyone else is refused by the kernel before netledger sees them.
 */

const socketMode = 0o660;

/** A group name or number as a gid, from /etc/group (Node has no getgrnam). */
function groupId(group: string): number {
  if (/^\d+$/.test(group)) return Number(group);
  let text = "";
  try {
    text = readFileSync("/etc/group", "utf8");
  } catch {
    /* no group file: only numbers work */
  }
  for (const line of text.split("\n")) {
    const [name, , gid] = line.split(":");
    if (name === group && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
  }
  throw invalid(`--group ${group}: no such group in /etc/group`);
}

/** Whether something answers on a UNIX socket path. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

/**
 * Makes the path ready to listen on: its directory made, a stale socket (left by a daemon that was
 * killed) removed. Refuses a path where another daemon answers or that is not a socket.
 */
async function prepareSocketPath(path: string): Promise<void> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return;
  }
  if (!st.isSocket()) throw invalid(`${path} exists and is not a socket; remove it or choose another --socket`);
  if (await answers(path)) throw conflict(`another daemon is already serving on ${path}`);
  unlinkSync(path);
}

/** Listens on a UNIX socket created with mode 0660 and, if given, the group. */
export async function listenUnix(server: Server, path: string, group: string | undefined): Promise<void> {
  const gid = group !== undefined ? groupId(group) : undefined;
  await prepareSocketPath(path);
  const old = process.umask(0o117);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(path, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (e) {
    throw new NetledgerError("InvalidParameter", `cannot listen on ${path}: ${(e as Error).message}`);
  } finally {
    process.umask(old);
  }
  chmodSync(path, socketMode);
  if (gid !== undefined) chownSync(path, -1, gid);
}
