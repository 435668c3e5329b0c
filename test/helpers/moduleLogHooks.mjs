// The loader hooks behind moduleLog.mjs (they run on the loader's own thread): each module loaded is
// written as "URL" or, with NETLEDGER_MODULE_LOG_PARENTS set, "URL <- importer" from resolve.
import { appendFileSync } from "node:fs";

let out = "";
export function initialize(data) {
  out = data.out;
}
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (process.env["NETLEDGER_MODULE_LOG_PARENTS"]) appendFileSync(out, `${r.url} <- ${context.parentURL ?? ""}\n`);
  return r;
}
export async function load(url, context, next) {
  const r = await next(url, context);
  appendFileSync(out, `${url}\n`);
  return r;
}
