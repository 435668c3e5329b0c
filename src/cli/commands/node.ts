import type { Command } from "commander";
import { requireCluster } from "../clusterOptions.js";
import type { CliContext } from "../context.js";
import { table } from "../output.js";

export function registerNode(program: Command, cli: CliContext): void {
  const node = program
    .command("node")
    .description("the nodes of the cluster: hosts whose netledger holds a lease in it")
    .addHelpText("after", "\nExamples:\n  netledger --cluster http://127.0.0.1:2379 node ls\n  netledger --cluster http://127.0.0.1:2379 node rm host-b\n");
  node
    .command("ls")
    .alias("list")
    .description("list the nodes: address, alive or lost, when its lease was last seen, its endpoints of global networks")
    .addHelpText("after", "\nExample:\n  netledger --cluster http://127.0.0.1:2379 node ls --json\n")
    .action(async (_o, cmd: Command) => {
      const g = cli.globals(cmd);
      // The etcd client is loaded by the cluster commands only.
      const { nodeList } = await import("../../api/cluster.js");
      const list = await nodeList(requireCluster(g, cli.io.env));
      cli.print(g, list, () =>
        table(["NAME", "ADDRESS", "STATE", "LAST SEEN", "ENDPOINTS"], list.map((n) => [n.name, n.address, n.state, n.lastSeen ?? "", n.endpoints])),
      );
    });
  node
    .command("rm")
    .alias("remove")
    .argument("<name>", "the node")
    .description("record a node lost and removed now: its endpoints are removed and their addresses released (refused while it holds a lease)")
    .addHelpText("after", "\nExample:\n  netledger --cluster http://127.0.0.1:2379 node rm host-b\n")
    .action(async (name: string, _o, cmd: Command) => {
      const g = cli.globals(cmd);
      const { removeNode } = await import("../../api/cluster.js");
      await removeNode(requireCluster(g, cli.io.env), name);
      cli.print(g, { removed: name }, () => `${name}\n`);
    });
}
