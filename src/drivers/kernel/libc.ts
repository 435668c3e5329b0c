import { createRequire } from "node:module";
import { NetledgerError } from "../../domain/errors.js";

/**
 * The few libc calls Node does not offer (setns(2), unshare(2), mount(2), and a netlink socket whose
 * send may run on the thread pool), through koffi: a well-kept FFI library shipped with prebuilt
 * binaries, so nothing is compiled at install. Bound at first use: a command that never enters a
 * namespace or deletes a link does not load it (about 20 ms).
 */
export interface Libc {
  setns(fd: number, nstype: number): number;
  unshare(flags: number): number;
  mount(source: string, target: string, fstype: string | null, flags: number, data: null): number;
  umount2(target: string, flags: number): number;
  socket(domain: number, type: number, protocol: number): number;
  /** send(2) on a thread of the pool: the callback gets its return value. */
  sendAsync(fd: number, buf: Buffer, len: number, flags: number, done: (err: unknown, sent: number) => void): void;
  recv(fd: number, buf: Buffer, len: number, flags: number): number;
  close(fd: number): number;
  errno(): number;
}

let bound: Libc | undefined;

export function libc(): Libc {
  if (bound) return bound;
  let koffi: typeof import("koffi");
  try {
    koffi = createRequire(import.meta.url)("koffi") as typeof import("koffi");
  } catch (e) {
    throw new NetledgerError("DriverError", `cannot load koffi, which netledger uses to enter network namespaces: ${(e as Error).message}`);
  }
  const lib = koffi.load("libc.so.6");
  const send = lib.func("long send(int fd, const void *buf, size_t len, int flags)");
  bound = {
    setns: lib.func("int setns(int fd, int nstype)") as Libc["setns"],
    unshare: lib.func("int unshare(int flags)") as Libc["unshare"],
    mount: lib.func("int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const void *data)") as Libc["mount"],
    umount2: lib.func("int umount2(const char *target, int flags)") as Libc["umount2"],
    socket: lib.func("int socket(int domain, int type, int protocol)") as Libc["socket"],
    sendAsync: (fd, buf, len, flags, done) => send.async(fd, buf, len, flags, done),
    recv: lib.func("long recv(int fd, void *buf, size_t len, int flags)") as Libc["recv"],
    close: lib.func("int close(int fd)") as Libc["close"],
    errno: () => koffi.errno(),
  };
  return bound;
}

/** Whether koffi is loaded already (by a namespace's work): then using it costs nothing more. */
export const libcLoaded = (): boolean => bound !== undefined;
