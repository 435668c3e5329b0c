import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import { CliContext } from "../../../src/cli/context.js";
import { buildProgram } from "../../../src/cli/main.js";
import { cli } from "../../helpers/cli.js";

/** Every command path of the CLI, groups included, read off the commander tree. */
function commandPaths(): string[][] {
  const program = buildProgram(new CliContext({ out: () => {}, err: () => {}, isTTY: false, env: {} }));
  const paths: string[][] = [[]];
  const walk = (cmd: Command, path: string[]) => {
    for (const c of cmd.commands) {
      paths.push([...path, c.name()]);
      walk(c, [...path, c.name()]);
    }
  };
  walk(program, []);
  return paths;
}

describe("netledger --help", () => {
  const paths = commandPaths();

  it("covers the operator's commands", () => {
    const names = paths.map((p) => p.join(" "));
    for (const c of ["log", "replay", "diff", "inspect", "verify", "head", "topology", "completion", "network inspect", "endpoint inspect", "sandbox inspect"])
      expect(names).toContain(c);
  });

  it.each(paths.map((p) => [p.join(" ") || "(netledger)", p]))("shows usage and an example for %s", async (_name, path) => {
    const r = await cli([...(path as string[]), "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Usage: netledger${(path as string[]).map((w) => ` ${w}`).join("")}`));
    expect(r.stdout).toMatch(/\nExamples?:\n {2}(netledger|source) /);
  });
});
