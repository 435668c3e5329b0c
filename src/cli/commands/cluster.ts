import type { Command } from "commander";
import { requireCluster } from "../clusterOptions.js";
import type { CliContext } from "../context.js";
import { table } from "../output.js";

export function registerCluster(program: Command, cli: CliContext): void {
  const cluster = program
    .command("cluster")
    .description("the etcd cluster that holds global-scope networks")
    .addHelpText("after", "\nExample:\n  netledger --cluster http://127.0.0.1:2379,http://127.0.0.1:22379 cluster status\n");
  cluster
    .command("status")
    .description("the members and their health, the cluster log's head, and the state hash of the global part")
    .addHelpText("after", "\nExample:\n  netledger --cluster http://127.0.0.1:2379 cluster status --json\n")
    .action(async (_o, cmd: Command) => {
      const g = cli.globals(cmd);
      // The etcd client is loaded by the cluster commands only.
      const { clusterStatus } = await import("../../api/cluster.js");
      const st = await clusterStatus(requireCluster(g, cli.io.env));
      cli.print(g, st, () =>
        [
          table(["MEMBER", "ENDPOINT", "HEALTHY"], st.members.map((m) => [m.name, m.endpoint, m.healthy ? "yes" : "no"])),
          `node:       ${st.node}`,
          `head:       ${st.head.seq} ${st.head.hash}`,
          `cursor:     ${st.cursor}`,
          `state hash: ${st.stateHash}`,
          "",
        ].join("\n"),
      );
    });
}
