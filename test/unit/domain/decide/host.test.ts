import { describe, expect, it } from "vitest";
import { attempt, effect, given, hex, history, ok, sandbox } from "../../../helpers/decider.js";

const N = hex("1");
const S = hex("5");
const boot = { type: "host.boot" } as const;
const booted = (previous: string | null, now = attempt.boot) => ({ type: "host.booted", stream: "host", data: { boot: now, previous } });
/** The deciding process runs on a kernel booted since the log last saw one. */
const rebooted = { ...attempt, boot: "boot-2" };

describe("host boot", () => {
  it("records the first boot id the log sees", () => {
    const { state } = given().when(boot).then([booted(null)]);
    expect(state.boot).toBe(attempt.boot);
  });

  it("records a reboot once: the same boot id again decides nothing", () => {
    given({ type: "host.booted", stream: "host", data: { boot: "boot-0", previous: null } }).when(boot).then([booted("boot-0")]);
    given(...history(boot)).when(boot).then([]);
  });

  it("takes the boot an effect was attempted on as the one the log last saw", () => {
    given(...history({ type: "network.create", id: N, name: "front", driver: "bridge", ipam: { driver: "null" } }))
      .when(boot, { attempt: rebooted })
      .then([booted(attempt.boot, "boot-2")]);
  });

  it("re-programs what the reboot took in the same decision: networks of the named drivers and sandboxes whose namespace is gone", () => {
    given(...history({ type: "network.create", id: N, name: "front", driver: "bridge", ipam: { driver: "null" } }, ok(N), sandbox(S, "c1", { key: null })))
      .when({ ...boot, drivers: ["bridge"], goneSandboxes: [S] }, { attempt: rebooted })
      .then([
        booted(attempt.boot, "boot-2"),
        { type: "sandbox.deleted", stream: S, data: { id: S, pending: false } },
        { type: "network.reprogrammed", stream: N, data: { id: N } },
        effect("bridge", "createNetwork", N, { networkId: N, reprogram: true }, { attempt: rebooted }),
      ]);
  });
});
