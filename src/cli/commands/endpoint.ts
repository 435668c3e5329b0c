import type { Command } from "commander";
import { shortId } from "../../domain/ids.js";
import type { CliContext } from "../context.js";
import { table } from "../output.js";
import { collect, portBinding } from "../parse.js";
import { findEndpointInLog, printHistories } from "./inspect.js";

export function registerEndpoint(program: Command, cli: CliContext): void {
  const endpoint = program
    .command("endpoint")
    .description("manage endpoints")
    .addHelpText("after", "\nExamples:\n  netledger endpoint create n1 e1\n  netledger endpoint join n1 e1 c1\n  netledger endpoint ls --network n1\n");

  endpoint
    .command("create")
    .description("create an endpoint on a network and print its id")
    .argument("<network>")
    .argument("<name>")
    .option("--ip <ip>", "IPv4 address")
    .option("--ip6 <ip>", "IPv6 address")
    .option("--mac <mac>", "MAC address")
    .option("-p, --publish <spec>", "publish a port: [HOSTIP:]HOSTPORT:PORT[/tcp|udp] (repeatable)", collect, [])
    .option("--alias <alias>", "a network-scoped alias (repeatable)", collect, [])
    .addHelpText("after", "\nExample:\n  netledger endpoint create n1 e1\n")
    .action(async (net: string, name: string, o, cmd: Command) => {
      await cli.withApi(cmd, "write", async (api, g) => {
        const ep = await api.createEndpoint(
          net,
          {
            name,
            ...(o.ip ? { ip: o.ip } : {}),
            ...(o.ip6 ? { ip6: o.ip6 } : {}),
            ...(o.mac ? { mac: o.mac } : {}),
            ports: (o.publish as string[]).map(portBinding),
            aliases: o.alias,
          },
          cli.commandOptions(g),
        );
        cli.print(g, ep, () => ep.id + "\n");
      });
    });

  endpoint
    .command("ls")
    .alias("list")
    .description("list endpoints")
    .option("--network <network>", "only this network's")
    .addHelpText("after", "\nExample:\n  netledger endpoint ls --network n1\n")
    .action(async (o, cmd: Command) => {
      await cli.withApi(cmd, "read", async (api, g) => {
        const [views, networks] = await Promise.all([api.endpoints(o.network), api.networks()]);
        const names = new Map(networks.map((n) => [n.id, n.name]));
        const netName = (id: string) => names.get(id) ?? shortId(id);
        cli.print(g, views, () =>
          table(
            ["ENDPOINT ID", "NAME", "NETWORK", "SANDBOX", "IPV4", "NODE", "STATE"],
            views.map((e) => [shortId(e.id), e.name, netName(e.network), e.sandbox ? shortId(e.sandbox) : "", e.ipv4, e.node ?? "", e.state]),
          ),
        );
      });
    });

  endpoint
    .command("inspect")
    .description("show an endpoint in full, as JSON (with --history, its events, a deleted one's too)")
    .argument("<network>")
    .argument("<name>", "endpoint name or id")
    .option("--history", "show the history from the log of every endpoint that had this name in the network", false)
    .addHelpText("after", "\nExamples:\n  netledger endpoint inspect n1 e1\n  netledger endpoint inspect --history n1 e1\n")
    .action(async (net: string, name: string, o: { history: boolean }, cmd: Command) => {
      if (o.history) return printHistories(cli, cmd, (l) => findEndpointInLog(l, net, name));
      await cli.withApi(cmd, "read", async (api, g) => {
        const v = await api.endpoint(net, name);
        cli.print(g, v, () => JSON.stringify(v, null, 2) + "\n");
      });
    });

  endpoint
    .command("rm")
    .alias("remove")
    .description("delete an endpoint; with --force a joined one leaves first")
    .argument("<network>")
    .argument("<name>", "endpoint name or id")
    .option("-f, --force", "leave the sandbox first if joined", false)
    .addHelpText("after", "\nExample:\n  netledger endpoint rm n1 e1\n")
    .action(async (net: string, name: string, o, cmd: Command) => {
      await cli.withApi(cmd, "write", async (api, g) => {
        const r = await api.deleteEndpoint(net, name, o.force, cli.commandOptions(g));
        cli.print(g, r, () => name + "\n");
      });
    });

  for (const verb of ["join", "leave"] as const) {
    endpoint
      .command(verb)
      .description(verb === "join" ? "join an endpoint to a sandbox" : "take an endpoint out of a sandbox")
      .argument("<network>")
      .argument("<name>", "endpoint name or id")
      .argument("<sandbox>", "sandbox id or container id")
      .addHelpText("after", `\nExample:\n  netledger endpoint ${verb} n1 e1 c1\n`)
      .action(async (net: string, name: string, sb: string, _o, cmd: Command) => {
        await cli.withApi(cmd, "write", async (api, g) => {
          const ep = await api[verb](net, name, sb, cli.commandOptions(g));
          cli.print(g, ep, () => "");
        });
      });
  }
}
