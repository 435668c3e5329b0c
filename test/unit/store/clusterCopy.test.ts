import { afterEach, describe, expect, it } from "vitest";
import { seal } from "../../../src/cluster/records.js";
import { genesisHash } from "../../../src/store/hashChain.js";
import { Store } from "../../../src/store/store.js";
import { verifyStore } from "../../../src/controller/verify.js";
import { tempDb } from "../../helpers/tmp.js";

const stores: Store[] = [];
afterEach(() => {
  while (stores.length) stores.pop()!.close();
});

function open(): Store {
  const s = Store.open(tempDb());
  stores.push(s);
  return s;
}

const records = (n: number, from = { seq: 0, hash: genesisHash }) =>
  seal(
    from,
    Array.from({ length: n }, (_, i) => ({ type: "global.node.joined" as const, stream: `node:n${i}`, data: { name: `n${i}`, address: "192.0.2.1" } })),
    { node: "a", time: "2026-01-01T00:00:00.000Z", batch: "b1" },
  );

describe("a node's copy of the cluster log", () => {
  it("keeps records in order, chained, and takes a record it already holds again without a second row", () => {
    const s = open();
    const rs = records(3);
    s.cluster.append(rs.slice(0, 2));
    s.cluster.append(rs);
    expect(s.cluster.head()).toEqual({ seq: 3, hash: rs[2]!.hash });
    expect(s.cluster.verifyChain()).toEqual({ seq: 3, hash: rs[2]!.hash, firstBad: null });
  });

  it("refuses another record at a seq it holds, and a record that would leave a gap", () => {
    const s = open();
    s.cluster.append(records(2));
    const other = seal({ seq: 0, hash: genesisHash }, [{ type: "global.node.joined", stream: "node:x", data: { name: "x", address: "192.0.2.9" } }], { node: "b", time: "2026-01-01T00:00:00.000Z", batch: "b2" });
    expect(() => s.cluster.append(other)).toThrow(/another record at seq 1/);
    const far = records(5).slice(3);
    expect(() => s.cluster.append(far)).toThrow(/skip from seq 2 to 4/);
    expect(s.cluster.head().seq).toBe(2);
  });

  it("starts after a base when the node began from a snapshot, and the chain is checked from it", () => {
    const s = open();
    const rs = records(5);
    s.cluster.append(rs.slice(3), { seq: 3, hash: rs[2]!.hash, state: "{}" });
    expect(s.cluster.verifyChain()).toEqual({ seq: 5, hash: rs[4]!.hash, firstBad: null });
    expect(() => s.db.prepare("DELETE FROM cluster_log").run()).toThrow(/append-only/);
  });

  it("goes on from a later snapshot past its head, keeping its earlier rows unread, and is checked from there", () => {
    const s = open();
    const rs = records(9);
    s.cluster.append(rs.slice(0, 3));
    // The node was away while etcd trimmed seq 4..6: it starts again from the snapshot at 6.
    s.cluster.append(rs.slice(6), { seq: 6, hash: rs[5]!.hash, state: '{"at":6}' });
    expect(s.cluster.base()).toEqual({ seq: 6, hash: rs[5]!.hash, state: '{"at":6}' });
    expect(s.cluster.head()).toEqual({ seq: 9, hash: rs[8]!.hash });
    expect([...s.cluster.rows()].map((r) => r.seq)).toEqual([7, 8, 9]);
    expect(s.cluster.verifyChain()).toEqual({ seq: 9, hash: rs[8]!.hash, firstBad: null });
    expect(s.db.prepare("SELECT count(*) AS n FROM cluster_log").get()).toEqual({ n: 6 });
    // A base that is not past the head changes nothing.
    s.cluster.append([], { seq: 8, hash: rs[7]!.hash, state: "{}" });
    expect(s.cluster.base()!.seq).toBe(6);
  });

  it("is checked by verify: a changed row of the copy is named at its seq, the local log's firstBad untouched", () => {
    const s = open();
    s.cluster.append(records(3));
    expect(verifyStore(s)).toMatchObject({ ok: true, problems: [] });
    s.db.exec("DROP TRIGGER cluster_log_append_only_update");
    s.db.prepare("UPDATE cluster_log SET data = ? WHERE seq = 2").run('{"address":"192.0.2.66","name":"n1"}');
    const r = verifyStore(s);
    expect(r.ok).toBe(false);
    expect(r.firstBad).toBeNull();
    expect(r.problems).toEqual([{ seq: 2, kind: "cluster", message: expect.stringMatching(/seq 2: does not match its hash/) }]);
  });
});
