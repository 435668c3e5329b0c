import { libc, libcLoaded } from "./libc.js";

/**
 * Link deletes that do not hold the event loop for the kernel's clean-up. An RTM_DELLINK is answered
 * only after the kernel has waited for an RCU grace period to unlist the link and another, with the
 * device's last references, to free it (netdev_run_todo): 15–50 ms on this machine, during which the
 * thread that sent it is blocked in send(2). So the request is sent on a thread of libuv's pool, from a
 * netlink socket of this module's own (libc.ts), and the caller is done as soon as the link no longer
 * answers to its index (or the kernel's answer comes first: a refusal is the caller's error).
 *
 * Used once koffi is loaded (any namespace's work loads it); before that, a command-line process that
 * deletes one link would pay more to load it than the wait it saves, and deletes in-line.
 */

const AF_NETLINK = 16;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
const NETLINK_ROUTE = 0;
const MSG_DONTWAIT = 0x40;
const RTM_DELLINK = 17;
const NLM_F_REQUEST = 1;
const NLM_F_ACK = 4;
const NLMSG_ERROR = 2;

let seq = 0;
let sent = 0;

/** errno numbers the callers tell apart, by name as the netlink package reports them. */
const errnoNames: Record<number, string> = { 1: "EPERM", 19: "ENODEV", 13: "EACCES", 16: "EBUSY", 22: "EINVAL", 95: "EOPNOTSUPP" };

/**
 * Sends one RTM_DELLINK and reads its acknowledgement: undefined for done, the error otherwise. Each
 * delete has a socket of its own, so that one still waiting in the kernel for the last references of
 * its link (after the link is unlisted) does not hold up the next.
 */
function sendDelete(index: number): Promise<string | undefined> {
  const c = libc();
  const s = c.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (s < 0) return Promise.resolve(`cannot open a netlink socket: errno ${c.errno()}`);
  const n = ++seq;
  const msg = Buffer.alloc(32);
  msg.writeUInt32LE(32, 0); // nlmsghdr: length, type, flags, seq, pid
  msg.writeUInt16LE(RTM_DELLINK, 4);
  msg.writeUInt16LE(NLM_F_REQUEST | NLM_F_ACK, 6);
  msg.writeUInt32LE(n, 8);
  msg.writeInt32LE(index, 20); // ifinfomsg: family, pad, type, index, flags, change
  return new Promise<string | undefined>((resolve) => {
    c.sendAsync(s, msg, msg.length, 0, (err, r) => {
      if (err || r < 0) return resolve(`send failed: ${err ? String(err) : `errno ${c.errno()}`}`);
      // The kernel answers within send(2): the acknowledgement is queued by the time it returns.
      const ack = Buffer.alloc(1024);
      for (;;) {
        const len = c.recv(s, ack, ack.length, MSG_DONTWAIT);
        if (len < 0) return resolve(`no acknowledgement: errno ${c.errno()}`);
        if (len >= 20 && ack.readUInt16LE(4) === NLMSG_ERROR && ack.readUInt32LE(8) === n) {
          const e = -ack.readInt32LE(16);
          return resolve(e === 0 ? undefined : `Request rejected: ${errnoNames[e] ?? `errno ${e}`}`);
        }
        // Not the acknowledgement (the socket is this delete's alone, so it is not expected): read on.
      }
    });
  }).finally(() => c.close(s));
}

/**
 * Sends the delete of the caller's link `index` off the event loop once koffi is loaded; undefined when
 * it is not (the caller deletes in-line). The promise settles with the kernel's answer: undefined for
 * done, the error message otherwise.
 */
export function deleteOffLoop(index: number): Promise<string | undefined> | undefined {
  if (!libcLoaded()) return undefined;
  sent++;
  return sendDelete(index);
}

/** How many deletes this process has sent off the event loop (tests). */
export const deletesOffLoop = (): number => sent;
