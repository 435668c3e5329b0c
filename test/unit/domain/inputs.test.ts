import { describe, expect, it } from "vitest";
import { parseCommand } from "../../../src/controller/parseCommand.js";
import { NetledgerError } from "../../../src/domain/errors.js";
import { given, hex, network } from "../../helpers/decider.js";

const N = hex("1");
const E = hex("2");
const refusal = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    if (e instanceof NetledgerError) return `${e.code}: ${e.message}`;
    throw e;
  }
  throw new Error("expected a refusal");
};
const endpointWith = (more: object) => () => parseCommand({ type: "endpoint.create", id: E, network: "n", name: "e", ...more } as never, undefined);

describe("values a caller gives, refused before anything is written", () => {
  it("refuses a MAC that is not six hex octets", () => {
    expect(refusal(endpointWith({ mac: "zz:zz:zz:zz:zz:zz" }))).toMatch(/^InvalidParameter: invalid endpoint.create command: mac: "zz:zz:zz:zz:zz:zz" is not a MAC address/);
    expect(refusal(endpointWith({ mac: "02:42:ac:11:00" }))).toMatch(/"02:42:ac:11:00" is not a MAC address/);
  });

  it("refuses a multicast or broadcast MAC: an interface needs a unicast one", () => {
    expect(refusal(endpointWith({ mac: "01:00:5e:00:00:01" }))).toMatch(/01:00:5e:00:00:01 is a multicast address; an interface needs a unicast MAC/);
    expect(refusal(endpointWith({ mac: "ff:ff:ff:ff:ff:ff" }))).toMatch(/ff:ff:ff:ff:ff:ff is a broadcast address/);
    expect(parseCommand({ type: "endpoint.create", id: E, network: "n", name: "e", mac: "02:42:AC:11:00:02" }, undefined)).toMatchObject({ mac: "02:42:AC:11:00:02" });
  });

  it("refuses an empty address rather than reading it as any", () => {
    expect(refusal(endpointWith({ ip: "" }))).toMatch(/ip: must not be empty: give an address, or leave the option out/);
    expect(refusal(() => parseCommand({ type: "network.connect", id: E, network: "n", sandbox: "s", ip6: "" }, undefined))).toMatch(/ip6: must not be empty/);
  });

  it("refuses an MTU option that is not a whole number from 68 to 65535", () => {
    for (const v of ["abc", "-5", "1500.5", "67", "65536", ""])
      given()
        .when({ type: "network.create", id: N, name: "n", driver: "null", options: { "com.docker.network.driver.mtu": v } })
        .thenError("InvalidParameter", /^option com\.docker\.network\.driver\.mtu=".*" is not an MTU: give a whole number from 68 to 65535/);
    given()
      .when({ type: "network.create", id: N, name: "n", driver: "null", options: { "com.docker.network.driver.mtu": "9000" } })
      .then([expect.objectContaining({ type: "network.created" })]);
  });

  it("writes control characters in a name as escapes in the refusal", () => {
    given()
      .when({ type: "network.create", id: N, name: "a\u001b[2Jb", driver: "null" })
      .thenError("InvalidParameter", /^invalid network name "a\\u001b\[2Jb": it must start/);
    given(network(N, "front"))
      .when({ type: "endpoint.create", id: E, network: "fr\u001b[31mont", name: "e" })
      .thenError("NotFound", /fr\\x1b\[31mont/);
  });
});
