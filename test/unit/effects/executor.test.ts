import { describe, expect, it } from "vitest";
import { isNetledgerError, NetledgerError } from "../../../src/domain/errors.js";
import { checkResult, driverFailure } from "../../../src/effects/executor.js";

function badResponse(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (isNetledgerError(e) && e.code === "BadResponse") return e.message;
    throw e;
  }
  throw new Error("expected a BadResponse");
}

describe("what a driver throws", () => {
  it.each([
    ["an Error", new Error("bridge br0 is busy"), "DriverError", "driver d: join: bridge br0 is busy"],
    ["a string", "no", "DriverError", "driver d: join: no"],
    ["an object", { status: 500 }, "DriverError", 'driver d: join: threw {"status":500}'],
    ["undefined", undefined, "DriverError", "driver d: join: threw undefined"],
    ["an Error without a message", new Error(""), "DriverError", "driver d: join: failed without a message"],
    ["a classified error", new NetledgerError("Forbidden", "not allowed"), "Forbidden", "driver d: join: not allowed"],
    ["an internal error", new NetledgerError("Internal", "bug"), "DriverError", "driver d: join: bug"],
    ["an error already named", new NetledgerError("Timeout", "driver d: join: slow"), "Timeout", "driver d: join: slow"],
  ])("is classified when it is %s", (_what, thrown, code, message) => {
    const e = driverFailure(thrown, "d", "join");
    expect({ code: e.code, message: e.message }).toEqual({ code, message });
  });
});

describe("what a driver answers", () => {
  it("is kept as the contract describes it: unknown CreateEndpoint fields dropped, Join extras kept", () => {
    expect(checkResult("createEndpoint", undefined)).toEqual({});
    expect(checkResult("createEndpoint", { interface: { mac: "02:42:ac:11:00:02" }, other: 1 })).toEqual({
      interface: { mac: "02:42:ac:11:00:02" },
    });
    expect(checkResult("join", { gateway: "10.0.0.1", vendor: { mtu: 1400 } })).toEqual({ gateway: "10.0.0.1", vendor: { mtu: 1400 } });
    expect(checkResult("deleteEndpoint", "whatever")).toBeNull();
  });

  it("is a BadResponse naming what is wrong when it is malformed", () => {
    expect(badResponse(() => checkResult("createEndpoint", "ok"))).toMatch(/^answered something that is not a createEndpoint result/);
    expect(badResponse(() => checkResult("createEndpoint", { interface: { address: "10.0.0.2" } }))).toMatch(
      /interface\.address: expected an IPv4 address in CIDR form/,
    );
    expect(badResponse(() => checkResult("createEndpoint", { interface: { address: "10.0.0.2/33" } }))).toMatch(/CIDR/);
    expect(badResponse(() => checkResult("createEndpoint", { interface: { mac: "zz" } }))).toMatch(/interface\.mac: expected a MAC address/);
    expect(badResponse(() => checkResult("join", { gateway: "fe80::1" }))).toMatch(/gateway: expected an IPv4 address/);
    expect(badResponse(() => checkResult("join", { staticRoutes: [{ destination: "10.1.0.0/16" }] }))).toMatch(/staticRoutes\.0\.routeType/);
    // Whatever is kept must be JSON: it is stored in the log.
    expect(badResponse(() => checkResult("join", { hook: () => 1 }))).toMatch(/hook/);
  });
});
