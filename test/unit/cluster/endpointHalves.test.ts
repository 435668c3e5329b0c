import { afterEach, describe, expect, it } from "vitest";
import { createGlobalEndpoint, type Halves } from "../../../src/cluster/endpointHalves.js";
import { parseCommand } from "../../../src/controller/parseCommand.js";
import type { ClusterCommand, ClusterEvent, ClusterNewEvent } from "../../../src/domain/cluster/events.js";
import { NetledgerError } from "../../../src/domain/errors.js";
import { Controller } from "../../../src/index.js";
import { RecordingDriver } from "../../helpers/recordingDriver.js";
import { tempDb, tempDir } from "../../helpers/tmp.js";

/**
 * A global endpoint's local half begins once the appender has decided its address and sent the
 * transaction. These drive the cluster's half by hand (decided, then what the cluster answers) on a
 * real controller whose global-scope driver records its calls.
 */
const open: Controller[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

async function given() {
  const c = await Controller.open({ db: tempDb(), runDir: tempDir(), actor: "halves-test" });
  open.push(c);
  const driver = new RecordingDriver();
  c.registerDriver("grec", driver, { dataScope: "global", sideEffects: true, usesIpam: true });
  // As the cluster node mirrors a global network into the local log.
  const net = (await c.run({ type: "network.create", driver: "grec", name: "g", ipam: { config: [{ subnet: "10.9.0.0/24" }], options: {} } }, { mirror: true })).entity!.id;
  const cmd = parseCommand({ type: "endpoint.create", network: net, name: "e" }, undefined) as Extract<ReturnType<typeof parseCommand>, { type: "endpoint.create" }>;
  const global: ClusterCommand = { type: "global.endpoint.create", id: cmd.id, name: "e", network: net, node: "n1" };
  const submitted: ClusterCommand[] = [];
  const created = (address: string): ClusterNewEvent => ({ type: "global.endpoint.created", data: { id: cmd.id, name: "e", network: net, node: "n1", address } }) as ClusterNewEvent;
  const stored = (e: ClusterNewEvent): ClusterEvent => ({ ...e, seq: 7 }) as ClusterEvent;
  /** Halves whose cluster decides `first` (the local half starts on it), then answers with `answer`. */
  const halves = (first: string | undefined, answer: () => Promise<ClusterEvent[]>): Halves => ({
    controller: c,
    submit: async (sent, decided) => {
      submitted.push(sent);
      if (sent.type !== "global.endpoint.create") return [];
      if (first) decided?.([created(first)]);
      return answer();
    },
    addressOf: () => undefined,
  });
  const creates = () => driver.calls.filter((x) => x.op === "createEndpoint").map((x) => (x.req["interface"] as { address?: string } | undefined)?.address);
  return { c, driver, net, cmd, global, submitted, created, stored, halves, creates };
}

describe("a global endpoint's two halves", () => {
  it("answers with the local half begun early when the cluster lands the address it decided", async () => {
    const g = await given();
    const r = await createGlobalEndpoint(g.halves("10.9.0.5", async () => [g.stored(g.created("10.9.0.5"))]), g.cmd, g.net, g.global, {});
    expect(r.entity).toEqual({ kind: "endpoint", id: g.cmd.id });
    expect(g.c.endpoint(g.cmd.id)!.view().ipv4).toBe("10.9.0.5/24");
    expect(g.driver.ops()).toEqual(["createNetwork", "createEndpoint"]);
  });

  it("undoes the early local half and makes it again when the cluster decides another address after a conflict", async () => {
    const g = await given();
    const r = await createGlobalEndpoint(g.halves("10.9.0.5", async () => [g.stored(g.created("10.9.0.6"))]), g.cmd, g.net, g.global, { requestId: "req-1" });
    expect(r.repeated).toBe(false);
    expect(g.c.endpoint(g.cmd.id)!.view().ipv4).toBe("10.9.0.6/24");
    expect(g.driver.ops()).toEqual(["createNetwork", "createEndpoint", "deleteEndpoint", "createEndpoint"]);
    expect(g.creates()).toEqual(["10.9.0.5/24", "10.9.0.6/24"]);
    expect(g.c.verify().ok).toBe(true);
    // The request repeated: the cluster appends nothing (the endpoint is there), and neither does this node.
    const again = await createGlobalEndpoint(g.halves(undefined, async () => []), g.cmd, g.net, g.global, { requestId: "req-1" });
    expect(again).toMatchObject({ repeated: true, events: [], entity: { kind: "endpoint", id: g.cmd.id } });
    expect(g.driver.ops()).toHaveLength(4);
  });

  it("leaves nothing here when the cluster's answer is an error after the local half began", async () => {
    const g = await given();
    const lost = new NetledgerError("ClusterUnavailable", "no answer from a quorum", { inDoubt: true });
    await expect(createGlobalEndpoint(g.halves("10.9.0.5", () => Promise.reject(lost)), g.cmd, g.net, g.global, {})).rejects.toBe(lost);
    expect(g.c.endpoint(g.cmd.id)).toBeUndefined();
    expect(g.driver.ops()).toEqual(["createNetwork", "createEndpoint", "deleteEndpoint"]);
    // The address is free here again.
    expect(g.c.network(g.net)!.view().ipam.pools[0]).toMatchObject({ allocated: 1 });
  });

  it("makes the endpoint here when a request whose early half was undone (the cluster's answer lost) is repeated", async () => {
    const g = await given();
    const lost = new NetledgerError("ClusterUnavailable", "no answer from a quorum", { inDoubt: true });
    await expect(createGlobalEndpoint(g.halves("10.9.0.5", () => Promise.reject(lost)), g.cmd, g.net, g.global, { requestId: "req-2" })).rejects.toBe(lost);
    // It had landed: the retry appends nothing, and the address is the cluster's.
    const retry: Halves = { ...g.halves(undefined, async () => []), addressOf: () => "10.9.0.5" };
    const r = await createGlobalEndpoint(retry, g.cmd, g.net, g.global, { requestId: "req-2" });
    expect(r.repeated).toBe(false);
    expect(g.c.endpoint(g.cmd.id)!.view().ipv4).toBe("10.9.0.5/24");
    expect(g.driver.ops()).toEqual(["createNetwork", "createEndpoint", "deleteEndpoint", "createEndpoint"]);
  });

  it("releases the address in the cluster when the driver refuses the early local half", async () => {
    const g = await given();
    g.driver.failOn.createEndpoint = () => "no thanks";
    await expect(createGlobalEndpoint(g.halves("10.9.0.5", async () => [g.stored(g.created("10.9.0.5"))]), g.cmd, g.net, g.global, {})).rejects.toMatchObject({
      message: expect.stringMatching(/no thanks/),
    });
    expect(g.c.endpoint(g.cmd.id)).toBeUndefined();
    expect(g.submitted.map((s) => s.type)).toEqual(["global.endpoint.create", "global.endpoint.delete"]);
  });
});
