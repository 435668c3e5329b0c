import type { Command } from "commander";
import { invalid, notFound } from "../../domain/errors.js";
import type { CliContext } from "../context.js";

/** One published port of a sandbox, with the host port in use. */
interface Mapping {
  endpoint: string;
  proto: string;
  port: number;
  hostIp: string;
  hostPort: number;
}

/** `80`, `80/tcp`, `53/udp`: as `docker port` takes its filter. */
function parsePortFilter(spec: string): { port: number; proto: string } {
  const m = /^(\d{1,5})(?:\/(tcp|udp|sctp))?$/.exec(spec);
  if (!m || Number(m[1]) < 1 || Number(m[1]) > 65535) throw invalid(`PORT takes PORT[/tcp|udp|sctp], not "${spec}"`);
  return { port: Number(m[1]), proto: m[2] ?? "tcp" };
}

const hostText = (m: Mapping) => `${m.hostIp === "" ? "0.0.0.0" : m.hostIp.includes(":") ? `[${m.hostIp}]` : m.hostIp}:${m.hostPort}`;

/**
 * `netledger port SANDBOX [PORT[/PROTO]]`, as `docker port`: the sandbox's published ports and the
 * host address and port each answers on, including the host port the driver picked for `-p 80`.
 */
export function registerPort(program: Command, cli: CliContext): void {
  program
    .command("port")
    .description("list a sandbox's published ports and the host ports in use")
    .argument("<sandbox>", "sandbox id, container id or id prefix")
    .argument("[port]", "only this port: PORT[/tcp|udp|sctp]")
    .addHelpText("after", "\nExamples:\n  netledger port c1\n  netledger port c1 80/tcp\n")
    .action(async (ref: string, portSpec: string | undefined, _o, cmd: Command) => {
      const filter = portSpec !== undefined ? parsePortFilter(portSpec) : undefined;
      await cli.withReader(cmd, async (api, g) => {
        const sb = await api.sandbox(ref);
        const eps = (await api.endpoints()).filter((e) => e.sandbox === sb.id);
        const all: Mapping[] = eps.flatMap((e) => e.ports.map((p) => ({ endpoint: e.id, proto: p.proto, port: p.port, hostIp: p.hostIp, hostPort: p.hostPort })));
        const shown = filter ? all.filter((m) => m.port === filter.port && m.proto === filter.proto) : all;
        if (filter && shown.length === 0) throw notFound(`no public port '${filter.port}/${filter.proto}' published for ${ref}`);
        shown.sort((a, b) => a.port - b.port || a.proto.localeCompare(b.proto) || a.hostPort - b.hostPort);
        cli.print(g, shown, () => shown.map((m) => (filter ? hostText(m) : `${m.port}/${m.proto} -> ${hostText(m)}`) + "\n").join(""));
      });
    });
}
