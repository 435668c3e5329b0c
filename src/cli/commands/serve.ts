import type { Command } from "commander";
import { invalid } from "../../domain/errors.js";
import { addNodeTimings, clusterOpenOptions, clusterSettings } from "../clusterOptions.js";
import type { CliContext } from "../context.js";

export function registerServe(program: Command, cli: CliContext): void {
  const serve = program.command("serve");
  addNodeTimings(serve);
  serve
    .description("the daemon: own the log and serve the REST API on a UNIX socket (and optionally HTTPS)")
    .option("--socket <path>", "the UNIX socket (default /run/netledger/netledger.sock for root), made with mode 0660")
    .option("--group <group>", "the socket's group, by name or gid: its members may use the daemon")
    .option("--listen <host:port>", "also serve on TCP: HTTPS with client certificates, or plain HTTP with --insecure-tcp")
    .option("--tls-cert <file>", "the server certificate (PEM) for --listen")
    .option("--tls-key <file>", "the server key (PEM) for --listen")
    .option("--tls-ca <file>", "the CA (PEM) whose client certificates are accepted on --listen")
    .option("--insecure-tcp", "serve plain HTTP on --listen: anyone who can reach the port can change the network", false)
    .addHelpText(
      "after",
      "\nThe log is opened and recovered first; SIGTERM or SIGINT stops accepting, finishes the commands in flight and closes it.\n" +
        "\nExample:\n  netledger serve --socket /run/netledger/netledger.sock --group docker\n",
    )
    .action(async (o, cmd: Command) => {
      const g = cli.globals(cmd);
      if (g.host) throw invalid("serve takes --db, not --host: it is the daemon");
      const tls = o.tlsCert || o.tlsKey || o.tlsCa ? { cert: o.tlsCert, key: o.tlsKey, ca: o.tlsCa } : undefined;
      if (tls && !(tls.cert && tls.key && tls.ca)) throw invalid("--tls-cert, --tls-key and --tls-ca go together");
      // Loaded here, not at start-up: fastify is for the daemon only, and every other command starts faster without it.
      const { Daemon } = await import("../../daemon/server.js");
      const log = (line: string) => cli.io.err(`netledger serve: ${line}\n`);
      // A node's problems (a reconcile that failed, the overlay's peers) go where the daemon's own lines go.
      const node = clusterSettings(g, cli.io.env, o);
      const daemon = await Daemon.start({
        controller: {
          ...(await cli.pluginOptions(g)),
          ...clusterOpenOptions(node && { ...node, report: log }),
          db: cli.dbPath(g),
          ...(g.actor !== undefined ? { actor: g.actor } : {}),
        },
        ...(o.socket !== undefined ? { socket: o.socket } : {}),
        ...(o.group !== undefined ? { group: o.group } : {}),
        ...(o.listen !== undefined ? { listen: o.listen } : {}),
        ...(tls ? { tls } : {}),
        insecureTcp: o.insecureTcp,
        log,
      });
      // One line per address on stdout, once the daemon answers: what a supervisor or a test waits for.
      for (const a of daemon.addresses) cli.io.out(`listening on ${a}\n`);
      await new Promise<void>((resolve) => {
        const stop = (sig: NodeJS.Signals) => {
          cli.io.err(`netledger serve: ${sig}\n`);
          for (const s of ["SIGTERM", "SIGINT"] as const) process.off(s, stop);
          resolve();
        };
        for (const s of ["SIGTERM", "SIGINT"] as const) process.on(s, stop);
      });
      await daemon.stop();
    });
}
