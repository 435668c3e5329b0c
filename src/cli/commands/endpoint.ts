import type { Command } from "commander";
import { shortId } from "../../domain/ids.js";
import type { CliContext } from "../context.js";
import { type ListOptions, printList, withListOptions } from "../listing/list.js";
import { endpointList } from "../listing/specs.js";
import { collect, keyValues, portBinding } from "../parse.js";
import { findEndpointInLog, printHistories } from "./inspect.js";
import { inspectEach } from "../inspectEach.js";
import { removedJson, removeEach } from "../removeEach.js";

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
    .option("--driver-opt <key=value>", "an option for the network's driver, sent with CreateEndpoint (repeatable)", collect, [])
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
            driverOpts: keyValues("--driver-opt", o.driverOpt),
          },
          cli.commandOptions(g),
        );
        cli.print(g, ep, () => ep.id + "\n");
      });
    });

  withListOptions(
    endpoint
      .command("ls")
      .alias("list")
      .description("list endpoints")
      .option("--network <network>", "only this network's"),
    Object.keys(endpointList(String).filters),
  )
    .addHelpText("after", "\nExamples:\n  netledger endpoint ls --network n1\n  netledger endpoint ls --filter dangling=true -q\n")
    .action(async (o: ListOptions & { network?: string }, cmd: Command) => {
      if (await cli.missingDatabase(cmd)) return printList(cli, cli.globals(cmd), endpointList(shortId), [], o);
      await cli.withReader(cmd, async (api, g) => {
        const [views, networks] = await Promise.all([api.endpoints(o.network), api.networks()]);
        const names = new Map(networks.map((n) => [n.id, n.name]));
        printList(cli, g, endpointList((id) => names.get(id) ?? shortId(id)), views, o);
      });
    });

  endpoint
    .command("inspect")
    .description("show endpoints in full, as JSON (with --history, their events, deleted ones' too)")
    .argument("<network>")
    .argument("<name...>", "endpoint names, ids or id prefixes")
    .option("-f, --format <format>", "print each endpoint through a Go template, e.g. '{{.ipv4}}'")
    .option("--history", "show the history from the log of every endpoint that had these names in the network", false)
    .addHelpText("after", "\nExamples:\n  netledger endpoint inspect n1 e1\n  netledger endpoint inspect -f '{{.name}} {{.ipv4}}' n1 e1 e2\n  netledger endpoint inspect --history n1 e1\n")
    .action(async (net: string, names: string[], o: { history: boolean; format?: string }, cmd: Command) => {
      if (o.history) return printHistories(cli, cmd, (l) => names.flatMap((name) => findEndpointInLog(l, net, name)));
      await cli.withReader(cmd, async (api, g) => {
        await inspectEach(cli, g, { kind: "endpoint", refs: names, format: o.format, single: true }, (r) => api.endpoint(net, r), async () => "");
      });
    });

  endpoint
    .command("rm")
    .alias("remove")
    .description("delete endpoints of a network; with --force a joined one leaves first")
    .argument("<network>")
    .argument("<name...>", "endpoint names, ids or id prefixes")
    .option("-f, --force", "leave the sandbox first if joined", false)
    .addHelpText("after", "\nExamples:\n  netledger endpoint rm n1 e1\n  netledger endpoint rm n1 e1 e2 e3\n")
    .action(async (net: string, names: string[], o, cmd: Command) => {
      await cli.withApi(cmd, "write", (api, g) =>
        removeEach(cli, g, names, (r) => api.deleteEndpoint(net, r, o.force, cli.commandOptions(g)), removedJson(names)),
      );
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
