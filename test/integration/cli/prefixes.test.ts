import { describe, expect, it } from "vitest";
import { LocalApi } from "../../../src/api/local.js";
import { cli } from "../../helpers/cli.js";
import { tempDb } from "../../helpers/tmp.js";

describe("id prefixes on the command line", () => {
  it("removes a network named by the first 3 characters of its id, as docker network rm 4aa does", async () => {
    const db = tempDb();
    const created = await cli(["--db", db, "network", "create", "-d", "null", "n1"]);
    const id = created.stdout.trim();
    const r = await cli(["--db", db, "network", "rm", id.slice(0, 3)]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect((await cli(["--db", db, "network", "ls", "-q"])).stdout).toBe("");
  });

  it("refuses a prefix that fits two networks, naming both, and removes nothing", async () => {
    const db = tempDb();
    const api = await LocalApi.open({ db });
    const byFirst = new Map<string, { id: string; name: string }[]>();
    let pair: { id: string; name: string }[] | undefined;
    try {
      // Ids are random: among 17 networks two must share their first hex digit.
      for (let i = 0; i < 17 && !pair; i++) {
        const n = await api.createNetwork({ name: `n${i}`, driver: "null" });
        const same = [...(byFirst.get(n.id[0]!) ?? []), { id: n.id, name: n.name }];
        byFirst.set(n.id[0]!, same);
        if (same.length === 2) pair = same;
      }
    } finally {
      await api.close();
    }
    const [a, b] = pair!;
    const r = await cli(["--db", db, "network", "rm", a!.id[0]!]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`network id prefix "${a!.id[0]}" is ambiguous`);
    expect(r.stderr).toContain(`${a!.id.slice(0, 12)} (${a!.name})`);
    expect(r.stderr).toContain(`${b!.id.slice(0, 12)} (${b!.name})`);
    const left = (await cli(["--db", db, "network", "ls", "-q", "--no-trunc"])).stdout;
    expect(left).toContain(a!.id);
    expect(left).toContain(b!.id);
  });
});
