import { afterEach } from "vitest";
import { Store } from "../../src/store/store.js";
import { writeFixtureLog } from "./logBuilder.js";
import { tempDb } from "./tmp.js";

const opened: Store[] = [];

/** The fixture log (test/fixtures/ops-log.jsonl) in a new database, open read-only; closed after the test. */
export function fixtureStore(): Store {
  const db = tempDb();
  writeFixtureLog(db);
  const store = Store.open(db, { readonly: true });
  opened.push(store);
  return store;
}

afterEach(() => {
  while (opened.length) opened.pop()!.close();
});
