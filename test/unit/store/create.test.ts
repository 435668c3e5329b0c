import { existsSync, readdirSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createDatabase } from "../../../src/store/create.js";
import { Store } from "../../../src/store/store.js";
import { appendSteps, opsLogPath, readSteps } from "../../helpers/logBuilder.js";
import { tempDir } from "../../helpers/tmp.js";

const mode = (p: string) => statSync(p).mode & 0o777;

describe("a database path that exists", () => {
  it("is refused when it was truncated to 0 bytes, and left as it is", () => {
    const db = join(tempDir(), "netledger.db");
    const s = Store.open(db);
    appendSteps(s, readSteps(opsLogPath).slice(0, 2));
    s.close();
    truncateSync(db, 0);

    expect(() => Store.open(db)).toThrow(/netledger\.db is empty \(0 bytes\): truncated, or never a netledger database; netledger never initialises a file that exists/);
    expect(statSync(db).size).toBe(0);
    expect(() => Store.open(db, { readonly: true })).toThrow(/is not an initialised netledger database/);
  });

  it("is refused when it holds something else, with the Corrupt code", () => {
    const db = join(tempDir(), "notes.db");
    writeFileSync(db, "");
    let code: string | undefined;
    try {
      Store.open(db);
    } catch (e) {
      code = (e as { code?: string }).code;
    }
    expect(code).toBe("Corrupt");
  });
});

describe("a new database", () => {
  it("is created 0600 with its -wal and -shm, in directories made 0700", () => {
    const root = tempDir();
    const db = join(root, "a", "b", "netledger.db");
    const s = Store.open(db);
    try {
      appendSteps(s, readSteps(opsLogPath).slice(0, 1));
      expect(mode(join(root, "a"))).toBe(0o700);
      expect(mode(join(root, "a", "b"))).toBe(0o700);
      expect(mode(db)).toBe(0o600);
      expect(existsSync(`${db}-wal`)).toBe(true);
      expect(mode(`${db}-wal`)).toBe(0o600);
      expect(mode(`${db}-shm`)).toBe(0o600);
    } finally {
      s.close();
    }
    // Nothing of the temporary file it was built under is left.
    expect(readdirSync(join(root, "a", "b")).filter((f) => f.includes(".new-"))).toEqual([]);
  });

  it("is made once when two processes make it at the same time: the later keeps the first's", () => {
    const db = join(tempDir(), "netledger.db");
    createDatabase(db);
    const first = Store.open(db, { readonly: true });
    const id = first.databaseId;
    first.close();
    // The loser of the race links after the winner: its copy is dropped, the winner's stays.
    createDatabase(db);
    const again = Store.open(db);
    expect(again.databaseId).toBe(id);
    again.close();
  });
});
