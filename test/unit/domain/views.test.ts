import { describe, expect, it } from "vitest";
import * as C from "../../../src/domain/collection.js";
import { emptyState } from "../../../src/domain/state.js";
import { endpointView } from "../../../src/domain/views.js";
import { fold, hex } from "../../helpers/decider.js";
import { endpoint, network } from "../../helpers/state.js";

describe("an endpoint's view", () => {
  it("shows the host port the driver picked for a binding asked with port 0", () => {
    const [N, E] = [hex("1"), hex("2")];
    const ports = [
      { proto: "tcp" as const, port: 80, hostPort: 0, hostIp: "" },
      { proto: "tcp" as const, port: 443, hostPort: 8443, hostIp: "" },
    ];
    const s = fold(emptyState(), [network(N, "n"), endpoint(E, N, "e", { ports })]);
    const rec = C.get(s.endpoints, E)!;
    // Before Join nothing is picked yet: port 0 stands for "any".
    expect(endpointView(rec).ports).toEqual(ports);
    const joined = { ...rec, joinInfo: { portMappings: [{ proto: "tcp", port: 80, hostPort: 32768, hostIp: "" }] } };
    expect(endpointView(joined).ports).toEqual([{ ...ports[0]!, hostPort: 32768 }, ports[1]]);
  });
});
