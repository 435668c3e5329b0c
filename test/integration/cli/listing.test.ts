import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { cli } from "../../helpers/cli.js";
import { writeFixtureLog } from "../../helpers/logBuilder.js";
import { fileTempDir } from "../../helpers/tmp.js";

/**
 * `ls` with Docker's options on the fixture log (fixed ids, names, labels): one golden per option.
 * Update after a deliberate change with `npx vitest run test/integration/cli/listing.test.ts -u`.
 */
const golden = (name: string) => `../../fixtures/golden/ls/${name}`;
let db: string;
const run = (...args: string[]) => cli(["--db", db, ...args], { NETLEDGER_HOST: "" });

beforeAll(() => {
  db = join(fileTempDir(), "netledger.db");
  writeFixtureLog(db);
});

const cases: [string, string[]][] = [
  ["network-filter-driver.txt", ["network", "ls", "--filter", "driver=null"]],
  ["network-filter-combined.txt", ["network", "ls", "--filter", "driver=null", "--filter", "driver=acme", "--filter", "name=end"]],
  ["network-filter-label.txt", ["network", "ls", "--filter", "label=team=web"]],
  ["network-filter-id.txt", ["network", "ls", "--filter", "id=a1300d"]],
  ["network-filter-scope-type.txt", ["network", "ls", "--filter", "scope=local", "--filter", "type=custom"]],
  ["network-filter-dangling.txt", ["network", "ls", "--filter", "dangling=true"]],
  ["network-quiet.txt", ["network", "ls", "-q"]],
  ["network-quiet-no-trunc.txt", ["network", "ls", "-q", "--no-trunc"]],
  ["network-format-template.txt", ["network", "ls", "--format", "{{.Name}}\\t{{.ID}}"]],
  ["network-format-json-dot.txt", ["network", "ls", "--format", "{{json .}}"]],
  ["network-format-json.txt", ["network", "ls", "--format", "json"]],
  ["network-format-table-template.txt", ["network", "ls", "--format", "table {{.Name}}\\t{{.Driver}}"]],
  ["network-format-table.txt", ["network", "ls", "--format", "table"]],
  ["network-format-label.txt", ["network", "ls", "--format", '{{.Name}}: {{.Label "team"}}']],
  ["endpoint-filter-dangling.txt", ["endpoint", "ls", "--filter", "dangling=false", "--no-trunc"]],
  ["endpoint-format.txt", ["endpoint", "ls", "--format", "table {{.Name}}\\t{{.Network}}\\t{{.IPv4}}"]],
  ["sandbox-filter-quiet.txt", ["sandbox", "ls", "-q", "--filter", "name=web"]],
  ["sandbox-format.txt", ["sandbox", "ls", "--format", "{{.ContainerID}} {{upper .State}}"]],
  ["network-inspect-docker.json", ["network", "inspect", "backend", "frontend"]],
  ["network-inspect-format.txt", ["network", "inspect", "--format", "{{.Name}}\t{{.Driver}}\t{{json .Containers}}", "backend", "frontend"]],
  ["endpoint-inspect-format.txt", ["endpoint", "inspect", "-f", "{{.name}} {{.ipv4}} {{.state}}", "backend", "web-1", "db-1"]],
  ["sandbox-inspect-format.txt", ["sandbox", "inspect", "-f", "{{.containerId}} {{json .endpoints}}", "web-1", "db-1"]],
];

describe("ls with Docker's options on the fixture log", () => {
  it.each(cases)("%s", async (name, args) => {
    const r = await run(...args);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    await expect(r.stdout).toMatchFileSnapshot(golden(name));
  });

  it("keeps --json as the views, filtered", async () => {
    const r = await run("--json", "network", "ls", "--filter", "driver=acme");
    expect(JSON.parse(r.stdout).map((n: { name: string }) => n.name)).toEqual(["backend"]);
  });

  it("refuses an unknown filter, a bad type, and a template field that does not exist, naming them", async () => {
    const bad: [string[], RegExp][] = [
      [["network", "ls", "--filter", "colour=red"], /invalid filter 'colour' \(keys: name, id, driver, label, scope, type, dangling\)/],
      [["network", "ls", "--filter", "type=odd"], /invalid filter: 'type'='odd'/],
      [["network", "ls", "--filter", "dangling=maybe"], /invalid filter 'dangling=maybe'/],
      [["network", "ls", "--filter", "name"], /--filter takes KEY=VALUE/],
      [["network", "ls", "--format", "{{.Colour}}"], /no field \.Colour; the fields are \.ID, \.Name/],
      [["network", "ls", "--format", "{{range .}}"], /cannot read \{\{range \.\}\}/],
    ];
    for (const [args, message] of bad) {
      const r = await run(...args);
      expect(r.code, args.join(" ")).toBe(1);
      expect(r.stderr).toMatch(message);
    }
  });
});
