import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { CliContext } from "../../../src/cli/context.js";
import { buildProgram, commandModules } from "../../../src/cli/main.js";
import { cli } from "../../helpers/cli.js";

/** Every command path of the CLI, groups included, read off the commander tree. */
const quiet = () => new CliContext({ out: () => {}, err: () => {}, isTTY: false, env: {} });

async function commandPaths(): Promise<string[][]> {
  const program = await buildProgram(quiet());
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

const paths = await commandPaths();

describe("netledger --help", () => {
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

describe("loading only the command a run names", () => {
  it.each(commandModules.map((m) => [m.names.join(", "), m]))("registers exactly %s from its module", async (_names, m) => {
    const program = new Command("netledger");
    (await m.load())(program, quiet());
    expect(program.commands.flatMap((c) => [c.name(), ...c.aliases()]).sort()).toEqual([...m.names].sort());
  });

  it("registers every command when the arguments name none, in the order --help lists them", async () => {
    const all = await buildProgram(quiet(), ["--db", "x.db", "--json"]);
    expect(all.commands.map((c) => c.name())).toEqual(commandModules.flatMap((m) => m.names));
  });

  it("registers only the named command's module, past the global options and their values", async () => {
    const program = await buildProgram(quiet(), ["--db", "x.db", "--json", "--actor=me", "network", "ls"]);
    expect(program.commands.map((c) => c.name())).toEqual(["network"]);
    const replay = await buildProgram(quiet(), ["--host", "unix:///x", "diff", "1", "2"]);
    expect(replay.commands.map((c) => c.name())).toEqual(["replay", "diff", "topology"]);
  });
});
