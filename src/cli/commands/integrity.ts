import type { Command } from "commander";
import { NetledgerError } from "../../domain/errors.js";
import type { CliContext } from "../context.js";

export function registerIntegrity(program: Command, cli: CliContext): void {
  program
    .command("verify")
    .description("check the hash chain, replay everything, and compare snapshots; exit 1 naming the first bad seq")
    .option("--expect-head <hash>", "also check that this head (from `netledger head`) is still in the chain")
    .addHelpText("after", "\nExample:\n  netledger verify --expect-head $(netledger head)\n")
    .action(async (o, cmd: Command) => {
      await cli.withApi(cmd, "read", async (api, g) => {
        const r = await api.verify(o.expectHead !== undefined ? { expectHead: o.expectHead } : {});
        if (g.json) cli.io.out(JSON.stringify(r, null, 2) + "\n");
        else if (r.ok)
          cli.io.out(`ok: ${r.events} events, ${r.snapshots} snapshots, head ${r.head.seq}:${r.head.hash}\n`);
        else for (const p of r.problems) cli.io.out(`seq ${p.seq}: ${p.message}\n`);
        if (!r.ok)
          throw new NetledgerError("Corrupt", `verification failed at seq ${r.firstBad}: ${r.problems[0]!.message}`, {
            seq: r.firstBad,
          });
      });
    });

  program
    .command("head")
    .description("print the current head as SEQ:HASH; keep it elsewhere and check it with verify --expect-head")
    .addHelpText("after", "\nExample:\n  netledger head > /safe/place/netledger.head\n")
    .action(async (_o, cmd: Command) => {
      await cli.withApi(cmd, "read", async (api, g) => {
        const h = await api.head();
        cli.print(g, h, () => `${h.seq}:${h.hash}\n`);
      });
    });

  program
    .command("snapshot")
    .description("write a snapshot of the current state (an optimisation: replay never needs it)")
    .addHelpText("after", "\nExample:\n  netledger snapshot\n")
    .action(async (_o, cmd: Command) => {
      await cli.withApi(cmd, "write", async (api, g) => {
        const s = await api.snapshot();
        cli.print(g, s, () => `snapshot at seq ${s.seq}, state hash ${s.stateHash}\n`);
      });
    });

  program
    .command("recover")
    .description("resolve in-doubt and pending effects now, and list what was done")
    .addHelpText("after", "\nExample:\n  netledger recover --json\n")
    .action(async (_o, cmd: Command) => {
      await cli.withApi(cmd, "write", async (api, g) => {
        const r = await api.recover();
        cli.print(g, r, () =>
          r.resolved.length === 0
            ? "nothing to recover\n"
            : r.resolved.map((x) => `effect ${x.effect}: ${x.driver} ${x.op} on ${x.resource.slice(0, 12)}: ${x.outcome}\n`).join(""),
        );
      });
    });
}
