import type { Command } from "../domain/commands.js";
import type { ClusterCommand, ClusterEvent, ClusterNewEvent } from "../domain/cluster/events.js";
import type { Controller } from "../controller/controller.js";
import type { CommandOptions, CommandResult } from "../controller/options.js";

type Joining = Extract<Command, { type: "endpoint.create" | "network.connect" }>;

/** What making a global endpoint needs of its node. */
export interface Halves {
  readonly controller: Controller;
  /** Appends to the cluster log; `decided` hears what each attempt decided, once its transaction is sent. */
  submit(c: ClusterCommand, decided?: (events: readonly ClusterNewEvent[]) => void): Promise<ClusterEvent[]>;
  /** The endpoint's address in the cluster state as folded now. */
  addressOf(endpoint: string): string | undefined;
}

/**
 * A global endpoint (`endpoint.create`, or a `network.connect` that makes one) in its two halves: the
 * cluster's (its address and node, in the cluster log) and this node's (the driver's work, in the
 * local log, with that address pinned).
 *
 * The local half starts as soon as the appender has decided the address and sent its transaction,
 * rather than once the cluster answers, so the two halves' round trips overlap: libnetwork too calls
 * the driver's CreateEndpoint before it writes the endpoint to its store. The caller is answered only
 * when both are done. When the cluster ends by deciding otherwise (another address after a conflict,
 * a refusal, an answer lost), the local half is undone through its own events before the command goes
 * on; a crash between the halves is the reconciler's, as before: it deletes here a local endpoint the
 * cluster does not hold for this node, and releases in the cluster one this node never made.
 */
export async function createGlobalEndpoint(h: Halves, cmd: Joining, network: string, global: ClusterCommand, opts: CommandOptions): Promise<CommandResult> {
  const local = (address: string | undefined, o: CommandOptions) => h.controller.run({ ...cmd, network, ...(address ? { ip: address } : {}) }, { ...o, mirror: true });
  let early: { address: string; run: Promise<CommandResult> } | undefined;
  const decided = (events: readonly ClusterNewEvent[]) => {
    const e = events[0];
    if (early || !e || e.type !== "global.endpoint.created") return; // a later attempt's is compared below
    // Without the caller's request id: an early half undone (the cluster's answer lost) must not make
    // the request's retry a repeat of it. A repeat of a request whose endpoint is here is answered below.
    const { requestId: _, ...earlyOpts } = opts;
    const run = local(e.data.address, earlyOpts);
    run.catch(() => undefined); // awaited below, whatever the cluster answers
    early = { address: e.data.address, run };
  };
  const undo = async () => {
    await early?.run.catch(() => undefined);
    // Undone without a request id: one would make a second undo of the same id a repeat. Should this
    // fail, the reconciler deletes it (the cluster does not hold it for this node).
    if (h.controller.endpoint(cmd.id))
      await h.controller.run({ type: "endpoint.delete", network, endpoint: cmd.id, force: true }, { mirror: true }).catch(() => undefined);
  };
  let address: string | undefined;
  let appended: boolean;
  try {
    const [e] = await h.submit(global, decided);
    appended = e !== undefined;
    address = e && e.type === "global.endpoint.created" ? e.data.address : h.addressOf(cmd.id);
  } catch (err) {
    if (early) await undo(); // nothing of it stays here: refused, or in doubt (then released later if it landed)
    throw err;
  }
  const again = early !== undefined && early.address !== address;
  if (again) await undo(); // decided again after a conflict, on another address
  // A repeated request whose endpoint is here (made early, so the local log has not seen its id).
  if (!appended && opts.requestId !== undefined && h.controller.endpoint(cmd.id))
    return { events: [], repeated: true, entity: { kind: "endpoint", id: cmd.id } };
  try {
    if (early && !again) return await early.run;
    return await local(address, opts);
  } catch (err) {
    // The local half failed (the plugin refused, say) and left nothing: the address goes back.
    if (!h.controller.endpoint(cmd.id)) await h.submit({ type: "global.endpoint.delete", endpoint: cmd.id }).catch(() => undefined);
    throw err;
  }
}
