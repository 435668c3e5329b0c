import { isNetledgerError, NetledgerError } from "../domain/errors.js";
import type { CliContext, GlobalOptions } from "./context.js";
import { parseTemplate, render } from "./listing/template.js";
import { errorText } from "./output.js";

/**
 * `inspect` of several names as Docker does it: what is found is printed (a JSON array, or each through
 * `--format`), each name that is not found is reported on stderr as `Error: No such network: b`, and
 * the command exits 1 if any was missing. Errors other than not-found stop the command as usual.
 */
export async function inspectEach<T>(
  cli: CliContext,
  g: GlobalOptions,
  o: { kind: string; refs: readonly string[]; format?: string | undefined; /** One name found prints its view alone, not in an array. */ single?: boolean },
  find: (ref: string) => Promise<T>,
  /** A missing ref's extra words (the log saw it deleted, say); "" when none. */
  hint: (ref: string) => Promise<string>,
): Promise<void> {
  const found: T[] = [];
  const missing: NetledgerError[] = [];
  for (const ref of o.refs) {
    try {
      found.push(await find(ref));
    } catch (e) {
      if (!isNetledgerError(e) || e.code !== "NotFound") throw e;
      missing.push(new NetledgerError("NotFound", `No such ${o.kind}: ${ref}${await hint(ref)}`));
    }
  }
  if (o.format !== undefined && o.format !== "json") {
    const t = parseTemplate(o.format, found.length > 0 ? Object.keys(found[0] as object) : []);
    for (const v of found) cli.io.out(render(t, v as Record<string, unknown>) + "\n");
  } else if (o.single && o.refs.length === 1 && found.length === 1) {
    cli.io.out(JSON.stringify(found[0], null, 2) + "\n");
  } else if (found.length > 0 || missing.length === 0 || !o.single) {
    cli.io.out(JSON.stringify(found, null, 2) + "\n");
  }
  for (const m of missing) cli.io.err(g.json ? errorText(m, true) : `Error: ${m.message}\n`);
  if (missing.length > 0) throw new NetledgerError("NotFound", missing.map((m) => m.message).join("; "), { reported: true });
}
