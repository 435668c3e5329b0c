import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { HttpApi } from "../../../src/daemon/client.js";
import { Daemon } from "../../../src/daemon/server.js";
import { cli } from "../../helpers/cli.js";
import { tempDir } from "../../helpers/tmp.js";

const daemons: Daemon[] = [];
const clients: HttpApi[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  for (const d of daemons.splice(0)) await d.stop();
});

const openssl = (args: string[], cwd: string) => execFileSync("openssl", args, { cwd, stdio: ["ignore", "pipe", "pipe"] });

/** A CA, a server certificate for 127.0.0.1, a client certificate (CN=alice) and one from another CA. */
function certificates(dir: string) {
  const key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  for (const ca of ["ca", "rogue-ca"])
    openssl(["req", "-x509", ...key, "-keyout", `${ca}.key`, "-out", `${ca}.pem`, "-days", "2", "-subj", `/CN=netledger test ${ca}`], dir);
  writeFileSync(join(dir, "server.ext"), "subjectAltName=IP:127.0.0.1\n");
  const issue = (name: string, cn: string, ca: string, ext?: string) => {
    openssl(["req", ...key, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${cn}`], dir);
    openssl(
      ["x509", "-req", "-in", `${name}.csr`, "-CA", `${ca}.pem`, "-CAkey", `${ca}.key`, "-CAcreateserial", "-out", `${name}.pem`, "-days", "2", ...(ext ? ["-extfile", ext] : [])],
      dir,
    );
  };
  issue("server", "127.0.0.1", "ca", "server.ext");
  issue("alice", "alice", "ca");
  issue("mallory", "mallory", "rogue-ca");
  const f = (n: string) => join(dir, n);
  return { ca: f("ca.pem"), server: { cert: f("server.pem"), key: f("server.key") }, alice: { cert: f("alice.pem"), key: f("alice.key") }, mallory: { cert: f("mallory.pem"), key: f("mallory.key") } };
}

describe("the daemon on TCP", () => {
  it("serves HTTPS to a client with a certificate from its CA, names the actor by it, and refuses one without or from another CA", async () => {
    const dir = tempDir();
    const c = certificates(dir);
    const d = await Daemon.start({
      controller: { db: join(dir, "n.db") },
      socket: false,
      listen: "127.0.0.1:0",
      tls: { cert: c.server.cert, key: c.server.key, ca: c.ca },
    });
    daemons.push(d);
    const host = d.addresses[0]!;
    expect(host).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);

    const alice = new HttpApi({ host, tls: { ...c.alice, ca: c.ca } });
    clients.push(alice);
    await alice.createNetwork({ name: "n1", driver: "null" });
    const events = [];
    for await (const e of alice.events()) events.push(e);
    expect(events.map((e) => e.meta.actor)).toEqual(["alice"]);

    const anonymous = new HttpApi({ host, tls: { ca: c.ca } });
    const mallory = new HttpApi({ host, tls: { ...c.mallory, ca: c.ca } });
    clients.push(anonymous, mallory);
    await expect(anonymous.networks()).rejects.toMatchObject({ code: "Unavailable", message: expect.stringContaining(`cannot reach the netledger daemon at ${host}`) });
    await expect(mallory.networks()).rejects.toMatchObject({ code: "Unavailable" });
    expect((await alice.networks()).map((n) => n.name)).toEqual(["n1"]);

    // The CLI takes its certificate from the environment.
    const env = { NETLEDGER_TLS_CERT: c.alice.cert, NETLEDGER_TLS_KEY: c.alice.key, NETLEDGER_TLS_CA: c.ca };
    const r = await cli(["--host", host, "--json", "network", "inspect", "n1"], env);
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual([expect.objectContaining({ name: "n1" })]);
    const refused = await cli(["--host", host, "network", "ls"], { NETLEDGER_TLS_CA: c.ca });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^netledger: cannot reach the netledger daemon at https:/);
  });

  it("refuses plain TCP unless --insecure-tcp is given", async () => {
    const dir = tempDir();
    await expect(Daemon.start({ controller: { db: join(dir, "n.db") }, socket: false, listen: "127.0.0.1:0" })).rejects.toMatchObject({
      code: "InvalidParameter",
      message: expect.stringMatching(/--listen needs --tls-cert, --tls-key and --tls-ca .* or --insecure-tcp/),
    });
    const r = await cli(["--db", join(dir, "n.db"), "serve", "--socket", join(dir, "d.sock"), "--listen", "127.0.0.1:0"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^netledger: --listen needs --tls-cert/);

    const d = await Daemon.start({ controller: { db: join(dir, "n.db") }, socket: false, listen: "127.0.0.1:0", insecureTcp: true });
    daemons.push(d);
    expect(d.addresses[0]).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const api = new HttpApi({ host: d.addresses[0]! });
    clients.push(api);
    expect(await api.networks()).toEqual([]);
  });
});
