import { describe, it } from "vitest";
import { drivers, effect, failed, given, hex, history, netnsDir, ok, sandbox, type Step } from "../../../helpers/decider.js";

const N = hex("1");
const E = hex("a");
const S = hex("5");
const S2 = hex("6");
const key = `${netnsDir}/${S}`;

const createSb = { type: "sandbox.create", id: S, containerId: "c1" } as const;
const deleteSb = { type: "sandbox.delete", sandbox: "c1" } as const;
const { netns: _, ...noSandboxDriver } = drivers;

const sandboxCreated = (over: Record<string, unknown> = {}) => ({
  type: "sandbox.created",
  stream: S,
  data: { id: S, containerId: "c1", key, hostname: "", domainname: "", dns: [], extraHosts: [], pending: true, ...over },
});

/** A network of `driver` with endpoint "web" connected to sandbox c1 (its own namespace), every driver call answered. */
const joinedOn = (driver: "null" | "bridge"): Step[] => {
  const net = { type: "network.create", id: N, name: "front", driver, ipam: { driver: "null" } } as const;
  const connect = { type: "network.connect", id: E, network: "front", sandbox: "c1" } as const;
  if (driver === "null") return [net, sandbox(S, "c1"), connect];
  return [net, ok(N), sandbox(S, "c1"), connect, ok(E) /* CreateEndpoint */, ok(E) /* Join */];
};

describe("sandbox create", () => {
  it("asks the sandbox driver to make a namespace under the netns directory", () => {
    given()
      .when({ ...createSb, hostname: "web", dns: ["10.0.0.53"], extraHosts: [{ name: "db", ip: "10.0.0.9" }] })
      .then([
        sandboxCreated({ hostname: "web", dns: ["10.0.0.53"], extraHosts: [{ name: "db", ip: "10.0.0.9" }] }),
        effect("netns", "createSandbox", S, { sandboxId: S, key, create: true }),
      ]);
  });

  it("uses an existing namespace without making one", () => {
    given()
      .when({ ...createSb, netns: "/var/run/netns/x" })
      .then([sandboxCreated({ key: "/var/run/netns/x" }), effect("netns", "createSandbox", S, { sandboxId: S, key: "/var/run/netns/x", create: false })]);
  });

  it("records a sandbox in the host's namespace as ready at once", () => {
    given().when({ ...createSb, netns: null }).then([sandboxCreated({ key: null, pending: false })]);
  });

  it("refuses a namespace of its own where no sandbox driver is available, pointing at --host-netns", () => {
    given().when(createSb, { drivers: noSandboxDriver }).thenError("InvalidParameter", /need the "netns" sandbox driver, which is not available here; use --host-netns/);
    given().when({ ...createSb, netns: null }, { drivers: noSandboxDriver }).then([sandboxCreated({ key: null, pending: false })]);
  });

  it("refuses a relative --netns path", () => {
    given().when({ ...createSb, netns: "netns/x" }).thenError("InvalidParameter", /--netns must be an absolute path/);
  });

  it("refuses a second sandbox for the same container", () => {
    given(sandbox(S, "c1")).when({ ...createSb, id: S2 }).thenError("Conflict", /container c1 already has a sandbox \(555555555555\)/);
  });

  it("refuses a second sandbox with the same id", () => {
    given(sandbox(S, "c1")).when({ ...createSb, containerId: "c2" }).thenError("Conflict", /sandbox with id 5{64} already exists/);
  });

  it("refuses what the hosts and resolv.conf files cannot hold", () => {
    given().when({ ...createSb, hostname: "-web" }).thenError("InvalidParameter", /invalid hostname "-web"/);
    given().when({ ...createSb, dns: ["resolver"] }).thenError("InvalidParameter", /--dns "resolver" is not an IP address/);
    given().when({ ...createSb, extraHosts: [{ name: "db", ip: "x" }] }).thenError("InvalidParameter", /--add-host db:x: "x" is not an IP address/);
    given().when({ ...createSb, extraHosts: [{ name: "d b", ip: "10.0.0.1" }] }).thenError("InvalidParameter", /"d b" is not a host name/);
  });

  it("refuses a container id that is not a valid name", () => {
    given().when({ ...createSb, containerId: "" }).thenError("InvalidParameter", /container id name must not be empty/);
  });
});

describe("sandbox delete", () => {
  it("asks the sandbox driver to remove the namespace", () => {
    given(sandbox(S, "c1"))
      .when(deleteSb)
      .then([{ type: "sandbox.deleted", stream: S, data: { id: S, pending: true } }, effect("netns", "deleteSandbox", S, { sandboxId: S, key })]);
  });

  it("deletes a sandbox in the host's namespace at once", () => {
    given(sandbox(S, "c1", { key: null })).when(deleteSb).then([{ type: "sandbox.deleted", stream: S, data: { id: S, pending: false } }]);
  });

  it("removes the joined endpoints of a driver without effects in the same decision, then the namespace", () => {
    given(...history(...joinedOn("null")))
      .when(deleteSb)
      .then([
        { type: "endpoint.left", stream: E, data: { id: E, sandbox: S, pending: false, remove: true } },
        { type: "endpoint.deleted", stream: E, data: { id: E, pending: false } },
        { type: "sandbox.deleted", stream: S, data: { id: S, pending: true } },
        effect("netns", "deleteSandbox", S),
      ]);
  });

  it("waits for a driver with effects to let its endpoints leave before removing the namespace", () => {
    given(...history(...joinedOn("bridge")))
      .when(deleteSb)
      .then([
        { type: "endpoint.left", stream: E, data: { id: E, sandbox: S, pending: true, remove: true } },
        effect("bridge", "leave", E, { sandboxId: S }),
        { type: "sandbox.deleted", stream: S, data: { id: S, pending: true } },
      ]);
  });

  it("refuses a sandbox already being deleted", () => {
    given(...history(...joinedOn("bridge"), deleteSb)).when(deleteSb).thenError("IllegalState", /sandbox 555555555555 is deleting; it cannot be deleted now/);
  });

  it("refuses a sandbox whose namespace is still being made", () => {
    given(...history(createSb)).when(deleteSb).thenError("Conflict", /sandbox 555555555555 has an operation in progress \(creating, effect 2\)/);
  });

  it("finds nothing to drop for a sandbox whose namespace could not be made: it went with the failure", () => {
    given(...history(createSb, failed(S, "DriverError")))
      .when({ ...deleteSb, force: true })
      .thenError("NotFound", /sandbox "c1" not found/);
  });

  it("refuses a sandbox that does not exist", () => {
    given().when(deleteSb).thenError("NotFound", /sandbox "c1" not found/);
  });
});
