import { resolve } from "node:path";
import type { Command } from "commander";
import { conflistFor, type CniTarget } from "../../cni/conflist.js";
import { defaultDbPath, defaultSocketPath } from "../../controller/paths.js";
import type { CliContext, GlobalOptions } from "../context.js";

/** The daemon or database this command itself is pointed at, as the plugin is to reach it. */
async function targetOf(cli: CliContext, g: GlobalOptions): Promise<CniTarget> {
  const env = cli.io.env;
  const host = g.host || env["NETLEDGER_HOST"] || undefined;
  if (host !== undefined) return { host };
  const db = g.db || env["NETLEDGER_DB"] || undefined;
  if (db !== undefined) return { db: resolve(db) };
  const socket = defaultSocketPath(env);
  // The daemon client (undici) is loaded only when asking whether a daemon answers.
  const { daemonAnswers } = await import("../../daemon/client.js");
  if (await daemonAnswers(socket)) return { host: `unix://${socket}` };
  return { db: resolve(defaultDbPath(env)) };
}

export function registerCni(program: Command, cli: CliContext): void {
  const cni = program
    .command("cni")
    .description("the CNI plugin netledger-cni: container runtimes (podman, containerd, CRI-O) on netledger networks")
    .addHelpText("after", "\nExample:\n  netledger cni conflist web-net > /etc/cni/net.d/web-net.conflist\n");
  cni
    .command("conflist")
    .description("print a CNI network configuration list for a network, naming the daemon or database this command uses")
    .argument("<network>", "network name or id")
    .option("--cni-version <version>", "the conflist's cniVersion (1.0.0, 0.4.0, 0.3.1…)", "1.0.0")
    .addHelpText("after", "\nExamples:\n  netledger cni conflist web-net\n  netledger --db /var/lib/netledger/netledger.db cni conflist web-net\n")
    .action(async (ref: string, o: { cniVersion: string }, cmd: Command) => {
      await cli.withApi(cmd, "read", async (api, g) => {
        const n = await api.network(ref);
        const list = conflistFor(n.name, await targetOf(cli, g), o.cniVersion);
        cli.io.out(JSON.stringify(list, null, 2) + "\n");
      });
    });
}
