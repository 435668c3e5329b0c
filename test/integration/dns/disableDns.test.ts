import { describe, expect, it } from "vitest";
import { cliAt } from "../../helpers/kernel.js";
import { tempDb, tempDir } from "../../helpers/tmp.js";

/** `network create --disable-dns` through the CLI: it records the network option that turns the embedded server off. */
describe("network create --disable-dns", () => {
  it("records netledger.network.dns=false on the network, beside the -o options, and nothing without the flag", async () => {
    const nl = cliAt(tempDb(), tempDir("nld-cli-"));
    await nl("network", "create", "-d", "null", "--disable-dns", "-o", "k=v", "quiet");
    await nl("network", "create", "-d", "null", "loud");
    const [quiet, loud] = JSON.parse(await nl("--json", "network", "inspect", "quiet", "loud")) as { options: Record<string, string> }[];
    expect(quiet!.options).toEqual({ k: "v", "netledger.network.dns": "false" });
    expect(loud!.options).toEqual({});
  });
});
