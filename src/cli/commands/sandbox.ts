import type { Command } from "commander";
import { NetledgerError } from "../../domain/errors.js";
import type { CliContext } from "../context.js";
import { type ListOptions, printList, withListOptions } from "../listing/list.js";
import { sandboxList } from "../listing/specs.js";
import { collect, extraHost } from "../parse.js";
import { deletedHintFor, findInLog, printHistories } from "./inspect.js";
import { inspectEach } from "../inspectEach.js";
import { removedJson, removeEach } from "../removeEach.js";

export function registerSandbox(program: Command, cli: CliContext): void {
  const sandbox = program
    .command("sandbox")
    .description("manage sandboxes (a container's network namespace)")
    .addHelpText("after", "\nExamples:\n  netledger sandbox create --host-netns c1\n  netledger sandbox ls\n  netledger sandbox rm c1\n");

  sandbox
    .command("create")
    .description("create a sandbox for a container and print its id")
    .argument("<id>", "the container id the sandbox is for")
    .option("--hostname <name>", "host name")
    .option("--domainname <name>", "domain name")
    .option("--dns <ip>", "a DNS server (repeatable)", collect, [])
    .option("--add-host <name:ip>", "an extra hosts entry (repeatable)", collect, [])
    .option("--netns <path>", "use this existing network namespace")
    .option("--host-netns", "use the host's network namespace", false)
    .addHelpText("after", "\nExample:\n  netledger sandbox create --host-netns c1\n")
    .action(async (containerId: string, o, cmd: Command) => {
      if (o.netns && o.hostNetns) throw new NetledgerError("InvalidParameter", "--netns and --host-netns exclude each other");
      await cli.withApi(cmd, "write", async (api, g) => {
        const sb = await api.createSandbox(
          {
            containerId,
            ...(o.hostname ? { hostname: o.hostname } : {}),
            ...(o.domainname ? { domainname: o.domainname } : {}),
            dns: o.dns,
            extraHosts: (o.addHost as string[]).map(extraHost),
            ...(o.hostNetns ? { netns: null } : o.netns ? { netns: o.netns } : {}),
          },
          cli.commandOptions(g),
        );
        cli.print(g, sb, () => sb.id + "\n");
      });
    });

  withListOptions(sandbox.command("ls").alias("list").description("list sandboxes"), Object.keys(sandboxList.filters))
    .addHelpText("after", "\nExamples:\n  netledger sandbox ls\n  netledger sandbox ls --filter dangling=true -q\n")
    .action(async (o: ListOptions, cmd: Command) => {
      if (await cli.missingDatabase(cmd)) return printList(cli, cli.globals(cmd), sandboxList, [], o);
      await cli.withReader(cmd, async (api, g) => printList(cli, g, sandboxList, await api.sandboxes(), o));
    });

  sandbox
    .command("inspect")
    .description("show sandboxes in full, as JSON (with --history, their events, deleted ones' too)")
    .argument("<id...>", "sandbox ids, container ids or id prefixes")
    .option("-f, --format <format>", "print each sandbox through a Go template, e.g. '{{.key}}'")
    .option("--history", "show each sandbox's history from the log: its own events and the joins and leaves of endpoints", false)
    .addHelpText("after", "\nExamples:\n  netledger sandbox inspect c1\n  netledger sandbox inspect -f '{{.containerId}} {{.key}}' c1 c2\n  netledger sandbox inspect --history c1\n")
    .action(async (refs: string[], o: { history: boolean; format?: string }, cmd: Command) => {
      if (o.history) return printHistories(cli, cmd, (l) => refs.flatMap((ref) => findInLog(l, ref, ["sandbox"])));
      await cli.withReader(cmd, async (api, g) => {
        await inspectEach(
          cli,
          g,
          { kind: "sandbox", refs, format: o.format, single: true },
          (r) => api.sandbox(r),
          (r) => deletedHintFor(cli, cmd, r, ["sandbox"], "sandbox inspect"),
        );
      });
    });

  sandbox
    .command("rm")
    .alias("remove")
    .description("delete sandboxes: their endpoints leave and are deleted, then their namespaces go")
    .argument("<id...>", "sandbox ids, container ids or id prefixes")
    .option("-f, --force", "also drop a sandbox whose namespace could not be made", false)
    .addHelpText("after", "\nExamples:\n  netledger sandbox rm c1\n  netledger sandbox rm c1 c2\n")
    .action(async (refs: string[], o, cmd: Command) => {
      await cli.withApi(cmd, "write", (api, g) => removeEach(cli, g, refs, (r) => api.deleteSandbox(r, o.force, cli.commandOptions(g)), removedJson(refs)));
    });
}
