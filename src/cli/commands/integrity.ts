import type { Command } from "commander";
import type { RecoveredEffect, RecoveryReport } from "../../controller/controller.js";
import { NetledgerError } from "../../domain/errors.js";
import { shortId } from "../../domain/ids.js";
import { describeLeak } from "../render/leaks.js";
import type { CliContext } from "../context.js";

export function registerIntegrity(program: Command, cli: CliContext): void {
  program
    .command("verify")
    .description("check the hash chain, replay everything, and compare snapshots; exit 1 naming the first bad seq")
    .option("--expect-head <head>", "also check that this head (SEQ:HASH from `netledger head`) is still in the chain")
    .addHelpText(
      "after",
      `
A head kept elsewhere is what detects a log cut short: a chain whose last events were deleted still
verifies on its own, but no longer leads to the head taken before.

Examples:
  netledger head > /safe/place/netledger.head
  netledger verify --expect-head "$(cat /safe/place/netledger.head)"
`,
    )
    .action(async (o: { expectHead?: string }, cmd: Command) => {
      await cli.withLedger(cmd, (ledger, g) => {
        const r = cli.withProgress("verify", (onProgress) =>
          ledger.verify({ ...(o.expectHead !== undefined ? { expectHead: o.expectHead } : {}), ...(onProgress ? { onProgress } : {}) }),
        );
        const style = cli.style;
        if (g.json) cli.io.out(JSON.stringify(r, null, 2) + "\n");
        else if (r.ok)
          cli.io.out(
            `${style.ok("ok")}: ${r.events} events, ${r.snapshots} snapshots, head ${r.head.seq}:${r.head.hash}` +
              (o.expectHead !== undefined ? ", expected head found" : "") +
              "\n",
          );
        else for (const p of r.problems) cli.io.out(`${style.bad(`seq ${p.seq}`)}: ${p.message}\n`);
        if (!g.json) for (const l of r.suspectedLeaks) cli.io.out(`${style.warn("warning")}: ${describeLeak(l)}\n`);
        if (!r.ok)
          throw new NetledgerError("Corrupt", `verification failed at seq ${r.firstBad}: ${r.problems[0]!.message}`, {
            seq: r.firstBad,
          });
      }, { warn: false }); // verify says it all itself
    });

  program
    .command("head")
    .description("print the current head as SEQ:HASH; keep it elsewhere and check it with verify --expect-head")
    .addHelpText("after", "\nExample:\n  netledger head > /safe/place/netledger.head\n")
    .action(async (_o, cmd: Command) => {
      await cli.withLedger(cmd, (ledger, g) => {
        const h = ledger.head();
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
      // Opened without recovering, so that recover() does the work and can say what it did.
      await cli.withApi(
        cmd,
        "write",
        async (api, g) => {
          const r = await api.recover();
          cli.print(g, r, () => recoveryText(r));
        },
        { recover: false },
      );
    });
}

/** One line per effect recovery touched, and a line for a reboot; "nothing to recover" when it did nothing. */
function recoveryText(r: RecoveryReport): string {
  const lines: string[] = [];
  if (r.boot) lines.push(`host rebooted (boot id ${r.boot.previous} → ${r.boot.current}): effects of the earlier boot are in doubt`);
  const what = (x: RecoveredEffect) => `effect ${x.effect}: ${x.driver} ${x.op} on ${shortId(x.resource)}`;
  for (const x of r.resolved) {
    const tail = x.outcome === "succeeded" ? "succeeded" : `${x.outcome}${x.error ? `: ${x.error.message}` : ""}`;
    lines.push(`${what(x)}: attempt ${x.attempts}: ${tail}`);
  }
  for (const x of r.left) lines.push(`${what(x)}: in flight in live process ${x.pid}; left to it`);
  if (lines.length === 0) lines.push("nothing to recover");
  return lines.join("\n") + "\n";
}
