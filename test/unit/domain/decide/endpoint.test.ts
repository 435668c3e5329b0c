import { describe, expect, it } from "vitest";
import { decide } from "../../../../src/domain/decide/index.js";
import { hex, network, stateOf } from "../../../helpers/state.js";

const ctx = {
  root: "r",
  attempt: { pid: 1, start: "1", boot: "b" },
  drivers: { bridge: { name: "bridge", scope: "local" as const, connectivityScope: "local" as const, sideEffects: true, usesIpam: true } },
  netnsDir: "/run/netledger/netns",
};

describe("endpoint create, decided", () => {
  it("refuses a published port whose host IP is not an IP, before anything is recorded", () => {
    const s = stateOf([network(hex("1"), "front")]);
    const cmd = { type: "endpoint.create" as const, id: hex("a"), network: "front", name: "e1", ports: [{ proto: "tcp" as const, port: 80, hostIp: "8080", hostPort: 0 }], aliases: [] };
    expect(() => decide(s, cmd, ctx)).toThrow(/published port 0:80: host IP "8080" is not an IP address/);
    expect(decide(s, { ...cmd, ports: [{ ...cmd.ports[0]!, hostIp: "127.0.0.1" }] }, ctx).events.map((e) => e.type)).toEqual([
      "endpoint.created",
      "effect.requested",
    ]);
  });
});
