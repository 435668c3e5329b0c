import { closeSync, openSync } from "node:fs";
import { NetledgerError } from "../../domain/errors.js";
import { type Libc, libc } from "./libc.js";

/**
 * The calling thread moved into another network namespace for the length of a synchronous call, as
 * Go's netns.Set does for libnetwork's osl (with its thread locked). Node has no setns(2), so libc's is
 * called through koffi (libc.ts). A network namespace is per
 * thread, and the call does nothing asynchronous, so nothing else of this process runs while the
 * thread is away: the one thing done there is opening a socket (a netlink socket stays in the
 * namespace it was opened in), or making a namespace and binding it to a file. No process is started:
 * `ip netns add` costs 3–5 ms here, most of it the process, and unshare(2) + mount(2) about 0.5 ms.
 */

const CLONE_NEWNET = 0x40000000;
const MS_BIND = 0x1000;
const MNT_DETACH = 2;
const EINVAL = 22;
const ENOENT = 2;
const EPERM = 1;

let home: number | undefined;

/**
 * A descriptor of the namespace this thread started in, kept open for the life of the process: the
 * way back after each call, and what a link is moved to when it leaves a sandbox.
 */
export function homeNamespaceFd(): number {
  home ??= openSync("/proc/thread-self/ns/net", "r");
  return home;
}

function refused(what: string, errno: number): NetledgerError {
  const hint = errno === EPERM ? " (this needs root: CAP_SYS_ADMIN)" : "";
  return new NetledgerError("DriverError", `${what}: errno ${errno}${hint}`);
}

/** Back to the namespace the thread started in. A thread that cannot get back must not go on. */
function goHome(c: Libc): void {
  if (c.setns(homeNamespaceFd(), CLONE_NEWNET) === 0) return;
  // Every socket this thread opened from now on would be in a sandbox's namespace. A crash is what
  // the log is built to survive; going on in the wrong namespace is not.
  process.stderr.write(`netledger: cannot return to this process's network namespace (errno ${c.errno()}); stopping\n`);
  process.kill(process.pid, "SIGKILL");
}

/** A read-only descriptor of the namespace bound at `path` (the caller closes it). */
export function openNamespace(path: string): number {
  try {
    return openSync(path, "r");
  } catch (e) {
    throw new NetledgerError("NotFound", `namespace ${path} cannot be opened: ${(e as Error).message}`);
  }
}

/** Runs `fn` (synchronous) with this thread in the network namespace bound at `path`. */
export function inNamespace<T>(path: string, fn: () => T): T {
  const c = libc();
  homeNamespaceFd();
  const fd = openNamespace(path);
  try {
    if (c.setns(fd, CLONE_NEWNET) !== 0) throw refused(`enter namespace ${path}`, c.errno());
    try {
      return fn();
    } finally {
      goHome(c);
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Makes a new network namespace, bound to the existing file `path` (as `ip netns add` binds its
 * namespaces), and runs `fn` in it. When the bind fails the namespace goes at once: nothing refers to it.
 */
export function inNewNamespace<T>(path: string, fn: () => T): T {
  const c = libc();
  homeNamespaceFd();
  if (c.unshare(CLONE_NEWNET) !== 0) throw refused("make a network namespace", c.errno());
  try {
    if (c.mount("/proc/thread-self/ns/net", path, null, MS_BIND, null) !== 0) throw refused(`bind the new namespace to ${path}`, c.errno());
    return fn();
  } finally {
    goHome(c);
  }
}

/**
 * Unbinds the namespace bound at `path` (lazily, as `ip netns delete` does: whoever still holds it
 * keeps it until they let go). A path with nothing bound is already unbound.
 */
export function unbindNamespace(path: string): void {
  const c = libc();
  if (c.umount2(path, MNT_DETACH) === 0) return;
  const errno = c.errno();
  if (errno === EINVAL || errno === ENOENT) return;
  throw refused(`unbind namespace ${path}`, errno);
}
