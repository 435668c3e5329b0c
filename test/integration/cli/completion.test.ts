import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { cli } from "../../helpers/cli.js";
import { hasProgram } from "../../helpers/programs.js";
import { fileTempDir } from "../../helpers/tmp.js";

/** The completion scripts, loaded into real shells and asked what follows a command line. */
let dir: string;

beforeAll(async () => {
  dir = fileTempDir();
  for (const shell of ["bash", "zsh"]) {
    const r = await cli(["completion", shell]);
    expect(r.code).toBe(0);
    writeFileSync(join(dir, `netledger.${shell}`), r.stdout);
  }
});

/** COMPREPLY for a command line whose last word is being completed, as bash's completion would ask. */
function bashComplete(...words: string[]): string[] {
  const script = `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _netledger; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const out = execFileSync("bash", ["-c", script, "bash", join(dir, "netledger.bash"), "netledger", ...words], { cwd: dir, encoding: "utf8" });
  return out.split("\n").filter((l) => l !== "");
}

/** The candidates zsh's completion function offers (it hands them, with descriptions, to _describe). */
function zshCandidates(...words: string[]): string[] {
  const script = `autoload -Uz compinit && compinit -u -D; source "$1"; shift; print -r -- "registered: \${_comps[netledger]}"; _netledger_candidates -d netledger "$@"`;
  const out = execFileSync("zsh", ["-f", "-c", script, "zsh", join(dir, "netledger.zsh"), ...words], { cwd: dir, encoding: "utf8" });
  return out.split("\n").filter((l) => l !== "");
}

describe("bash completion", () => {
  it("completes commands and subcommands", () => {
    expect(bashComplete("")).toEqual(expect.arrayContaining(["network", "log", "replay", "diff", "topology", "verify", "head", "inspect", "completion"]));
    expect(bashComplete("to")).toEqual(["topology"]);
    expect(bashComplete("network", "")).toEqual(["create", "ls", "list", "inspect", "rm", "remove", "connect", "disconnect", "prune"]);
  });

  it("completes a command's own options and the global ones, past global options and their values", () => {
    const opts = bashComplete("--db", "/tmp/x.db", "log", "--");
    expect(opts).toEqual(expect.arrayContaining(["--since", "--until", "--stream", "--type", "--actor", "--follow", "--last", "--db", "--json", "--help"]));
    expect(opts).not.toContain("--subnet");
    expect(bashComplete("network", "inspect", "--h")).toEqual(["--history", "--host", "--help"]);
  });

  it("completes values: event types for --type, file names for --db, shells for completion", () => {
    expect(bashComplete("log", "--type", "endpoint.j")).toEqual(["endpoint.joined"]);
    writeFileSync(join(dir, "state.db"), "");
    expect(bashComplete("--db", "sta")).toEqual(["state.db"]);
    expect(bashComplete("completion", "")).toEqual(["bash", "zsh"]);
  });
});

const hasZsh = hasProgram("zsh");
describe.skipIf(!hasZsh)(`zsh completion${hasZsh ? "" : " (skipped: zsh is not installed)"}`, () => {
  it("registers itself and offers subcommands with their descriptions", () => {
    const out = zshCandidates("network", "");
    expect(out[0]).toBe("registered: _netledger");
    expect(out).toContain("inspect:show networks as docker network inspect does (with --json, netledger's views; with --history, their events)");
  });

  it("offers options, event types and files where they belong", () => {
    expect(zshCandidates("topology", "--")).toEqual(expect.arrayContaining(["--until:the state at this point (default: the head): a seq, head, an ISO time (2024-05-01T10:00:00Z) or a time ago (30s, 10m, 2h, 3d)", "--dot:print Graphviz DOT instead of a tree"]));
    expect(zshCandidates("log", "--type", "")).toContain("effect.failed");
    expect(zshCandidates("--db", "")).toContain("__files__");
  });
});
