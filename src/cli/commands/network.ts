import { type Command, Option } from "commander";
import { dnsOption } from "../../domain/dnsOption.js";
import { invalid } from "../../domain/errors.js";
import type { CliContext } from "../context.js";
import { removeEach } from "../removeEach.js";
import { registerNetworkPrune } from "./prune.js";
import { type ListOptions, printList, withListOptions } from "../listing/list.js";
import { networkList } from "../listing/specs.js";
import { deletedHintFor, findInLog, printHistories } from "./inspect.js";
import { inspectEach } from "../inspectEach.js";
import { dockerNetwork } from "../render/dockerNetwork.js";
import { collect, keyValues, portBinding } from "../parse.js";

export function registerNetwork(program: Command, cli: CliContext): void {
  const network = program
    .command("network")
    .description("manage networks")
    .addHelpText("after", "\nExamples:\n  netledger network create -d null --subnet 10.9.0.0/24 n1\n  netledger network ls\n  netledger network rm n1\n");

  network
    .command("create")
    .description("create a network and print its id")
    .argument("<name>", "the network's name")
    .option("-d, --driver <driver>", "network driver", "bridge")
    .option("--subnet <cidr>", "a subnet in CIDR form (repeatable)", collect, [])
    .option("--gateway <ip>", "the gateway of the subnet that contains it (repeatable)", collect, [])
    .option("--ip-range <cidr>", "allocate from this sub-range of the subnet that contains it (repeatable)", collect, [])
    .option("--aux-address <name=ip>", "an address reserved for a name, not handed out (repeatable)", collect, [])
    .option("--ipam-driver <name>", "IPAM driver")
    .option("--ipam-opt <key=value>", "an option for the IPAM driver (repeatable)", collect, [])
    .option("--ipv6", "enable IPv6", false)
    .option("--internal", "no route out of the network", false)
    .option("-o, --opt <key=value>", "a driver option (repeatable)", collect, [])
    .option("--disable-dns", `no embedded DNS server for this network (sets the option ${dnsOption}=false)`, false)
    .option("--label <key=value>", "a label (repeatable)", collect, [])
    .addHelpText("after", "\nExample:\n  netledger network create -d null --subnet 10.9.0.0/24 n1\n")
    .action(async (name: string, o, cmd: Command) => {
      await cli.withApi(cmd, "write", async (api, g) => {
        // ip-num is loaded by the command that parses addresses, not by every start.
        const { ipamConfig } = await import("../ipamFlags.js");
        const config = ipamConfig(o.subnet, o.gateway, o.ipRange, keyValues("--aux-address", o.auxAddress));
        const n = await api.createNetwork(
          {
            driver: o.driver,
            name,
            ipam: { config, options: keyValues("--ipam-opt", o.ipamOpt), ...(o.ipamDriver ? { driver: o.ipamDriver } : {}) },
            ipv6: o.ipv6,
            internal: o.internal,
            options: { ...keyValues("--opt", o.opt), ...(o.disableDns ? { [dnsOption]: "false" } : {}) },
            labels: keyValues("--label", o.label),
          },
          cli.commandOptions(g),
        );
        cli.print(g, n, () => n.id + "\n");
      });
    });

  withListOptions(
    network
      .command("ls")
      .alias("list")
      .description("list networks"),
    Object.keys(networkList.filters),
  )
    .addHelpText("after", "\nExamples:\n  netledger network ls --filter driver=bridge -q\n  netledger network ls --format '{{.Name}}\\t{{.ID}}'\n")
    .action(async (o: ListOptions, cmd: Command) => {
      if (await cli.missingDatabase(cmd)) return printList(cli, cli.globals(cmd), networkList, [], o);
      await cli.withReader(cmd, async (api, g) => printList(cli, g, networkList, await api.networks(), o));
    });

  network
    .command("inspect")
    .description("show networks as docker network inspect does (with --json, netledger's views; with --history, their events)")
    .argument("<network...>", "names, ids or id prefixes")
    .option("-f, --format <format>", "print each network through a Go template, e.g. '{{.Name}} {{.Id}}' or '{{json .IPAM}}'")
    .option("--history", "show each network's history from the log, found by name even after it was deleted", false)
    .addHelpText("after", "\nExamples:\n  netledger network inspect n1\n  netledger network inspect -f '{{json .Containers}}' n1\n  netledger network inspect --history n1\n")
    .action(async (refs: string[], o: { history: boolean; format?: string }, cmd: Command) => {
      if (o.history) return printHistories(cli, cmd, (l) => refs.flatMap((r) => findInLog(l, r, ["network"])));
      await cli.withReader(cmd, async (api, g) => {
        const docker = !g.json || o.format !== undefined;
        const [eps, sbs] = docker ? await Promise.all([api.endpoints(), api.sandboxes()]) : [[], []];
        await inspectEach(
          cli,
          g,
          { kind: "network", refs, format: o.format },
          async (r) => {
            const n = await api.network(r);
            return docker ? dockerNetwork(n, eps, sbs) : n;
          },
          (r) => deletedHintFor(cli, cmd, r, ["network"], "network inspect"),
        );
      });
    });

  network
    .command("rm")
    .alias("remove")
    .description("remove networks; with --force their endpoints are removed first")
    .argument("<network...>", "names or ids")
    .option("-f, --force", "remove the networks' endpoints first", false)
    .addHelpText("after", "\nExample:\n  netledger network rm --force n1\n")
    .action(async (refs: string[], o, cmd: Command) => {
      // Like `docker network rm a b c`: each is tried; the ones that fail are named, the rest go.
      await cli.withApi(cmd, "write", (api, g) =>
        removeEach(cli, g, refs, (r) => api.deleteNetwork(r, o.force, cli.commandOptions(g)), (removed) => ({ removed })),
      );
    });

  network
    .command("connect")
    .description("connect a sandbox to a network: an endpoint named after its container, created and joined")
    .argument("<network>")
    .argument("<sandbox>", "sandbox id or container id")
    .option("--ip <ip>", "IPv4 address for the endpoint")
    .option("--ip6 <ip>", "IPv6 address for the endpoint")
    .option("--alias <alias>", "a network-scoped alias (repeatable)", collect, [])
    .option("-p, --publish <spec>", "publish a port: [HOSTIP:]HOSTPORT:PORT[/tcp|udp] (repeatable)", collect, [])
    .option("--driver-opt <key=value>", "an option for the network's driver, sent with CreateEndpoint (repeatable)", collect, [])
    .addHelpText("after", "\nExample:\n  netledger network connect --ip 10.9.0.5 n1 c1\n")
    .action(async (net: string, sb: string, o, cmd: Command) => {
      await cli.withApi(cmd, "write", async (api, g) => {
        const ep = await api.connect(
          net,
          {
            sandbox: sb,
            ...(o.ip ? { ip: o.ip } : {}),
            ...(o.ip6 ? { ip6: o.ip6 } : {}),
            aliases: o.alias,
            ports: (o.publish as string[]).map(portBinding),
            driverOpts: keyValues("--driver-opt", o.driverOpt),
          },
          cli.commandOptions(g),
        );
        cli.print(g, ep, () => "");
      });
    });

  network
    .command("disconnect")
    .description("disconnect a sandbox from a network: its endpoint there leaves and is deleted")
    .argument("<network>")
    .argument("<sandbox>", "sandbox id or container id")
    .addOption(new Option("-f, --force", "remove the endpoint even if it is joined").default(false))
    .addHelpText("after", "\nExample:\n  netledger network disconnect n1 c1\n")
    .action(async (net: string, sb: string, o, cmd: Command) => {
      await cli.withApi(cmd, "write", async (api, g) => {
        const r = await api.disconnect(net, { sandbox: sb, force: o.force }, cli.commandOptions(g));
        cli.print(g, r, () => "");
      });
    });
  registerNetworkPrune(network, cli);
}
