import { describe, expect, it } from "vitest";
import { durationMs, portBinding } from "../../../src/cli/parse.js";

describe("docker's -p syntax", () => {
  it("reads HOSTPORT:PORT, HOSTIP:HOSTPORT:PORT, [IPv6]:HOSTPORT:PORT and PORT, with a protocol", () => {
    expect(portBinding("8080:80")).toEqual({ proto: "tcp", port: 80, hostIp: "", hostPort: 8080 });
    expect(portBinding("127.0.0.1:5353:53/udp")).toEqual({ proto: "udp", port: 53, hostIp: "127.0.0.1", hostPort: 5353 });
    expect(portBinding("[::1]:8443:443")).toEqual({ proto: "tcp", port: 443, hostIp: "::1", hostPort: 8443 });
    expect(portBinding("9000")).toEqual({ proto: "tcp", port: 9000, hostIp: "", hostPort: 0 });
  });

  it("refuses what is none of those, naming it", () => {
    expect(() => portBinding("1.2.3:80:80")).toThrow(/malformed port binding "1.2.3:80:80"/);
    expect(() => portBinding("80:http")).toThrow(/malformed port binding/);
  });
});

describe("--plugin-timeout durations", () => {
  it("reads ms, s, m and bare seconds, and names the flag and value when malformed", () => {
    expect(["500ms", "30s", "2m", "30", "0.5"].map((t) => durationMs("--plugin-timeout", t))).toEqual([500, 30_000, 120_000, 30_000, 500]);
    expect(() => durationMs("--plugin-timeout", "soon")).toThrow('malformed --plugin-timeout "soon"');
    expect(() => durationMs("--plugin-timeout", "0")).toThrow(/too short/);
  });
});
