import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, extname, join, resolve } from "node:path";
import { z } from "zod";
import { NetledgerError } from "../../domain/errors.js";

/**
 * Plugin discovery as Docker does it for v1 plugins (plugin-protocol.md §2): a plugin NAME is a live
 * UNIX socket `NAME.sock` or `NAME/NAME.sock`, or a spec file `NAME.spec` / `NAME/NAME.spec` (one URL)
 * or `NAME.json` / `NAME/NAME.json` (Addr and TLS files). The directories are searched in order, each
 * for its sockets first and then its spec files; Docker's are the socket directory and then the two
 * spec directories. The name is the file's name: the `Name` inside a `.json` is ignored.
 */
const dockerPluginDirs: readonly string[] = ["/run/docker/plugins", "/etc/docker/plugins", "/usr/lib/docker/plugins"];

const pluginDirsEnv = "NETLEDGER_PLUGIN_DIRS";

/** The directories to search: given ones, else NETLEDGER_PLUGIN_DIRS (colon-separated), else Docker's. */
export function pluginDirs(given: readonly string[] | undefined, env: NodeJS.ProcessEnv = process.env): string[] {
  if (given && given.length > 0) return given.map((d) => resolve(d));
  const fromEnv = env[pluginDirsEnv];
  if (fromEnv) return fromEnv.split(":").filter((d) => d !== "").map((d) => resolve(d));
  return [...dockerPluginDirs];
}

export interface TlsFiles {
  caFile: string;
  certFile: string;
  keyFile: string;
  insecureSkipVerify: boolean;
}

export interface PluginSpec {
  name: string;
  /** `unix:///abs/path.sock`, `tcp://host:port`, `http://…`, `https://…`. */
  addr: string;
  /** The file it was found through. */
  source: string;
  /** From a `.json` spec; absent means the platform's default verification (or none for a `.spec`). */
  tls?: TlsFiles;
  /** A `.spec` file's https is never verified (Docker gives it InsecureSkipVerify). */
  insecure?: boolean;
}

function isSocket(path: string): boolean {
  try {
    return statSync(path).isSocket();
  } catch {
    return false;
  }
}

function isFile(path: string): boolean {
  return existsSync(path);
}

/** Finds plugin `name` in the directories; undefined when nothing by that name is there. */
export function lookupPlugin(name: string, dirs: readonly string[]): PluginSpec | undefined {
  if (name === "") throw new NetledgerError("InvalidParameter", "unable to find a plugin without a name");
  if (name.includes("/") || name === "." || name === "..") return undefined;
  for (const dir of dirs) {
    for (const sock of [join(dir, `${name}.sock`), join(dir, name, `${name}.sock`)])
      if (isSocket(sock)) return { name, addr: `unix://${resolve(sock)}`, source: sock };
    for (const ext of [".spec", ".json"])
      for (const file of [join(dir, `${name}${ext}`), join(dir, name, `${name}${ext}`)])
        if (isFile(file)) return readSpecFile(name, file);
  }
  return undefined;
}

const jsonSpecSchema = z.object({
  Addr: z.string(),
  TLSConfig: z
    .object({
      CAFile: z.string().optional(),
      CertFile: z.string().optional(),
      KeyFile: z.string().optional(),
      InsecureSkipVerify: z.boolean().optional(),
    })
    .nullish(),
});

/** Reads a `.spec` (one URL with a scheme) or `.json` spec file. */
function readSpecFile(name: string, file: string): PluginSpec {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new NetledgerError("PluginUnavailable", `plugin ${name}: cannot read ${file}: ${(e as Error).message}`);
  }
  if (extname(file) === ".spec") {
    const url = text.trim();
    let scheme = "";
    try {
      scheme = new URL(url).protocol.replace(/:$/, "");
    } catch {
      // no scheme: refused below
    }
    // `localhost:8080` parses as scheme "localhost" in WHATWG URL; Go's parser reads it as an opaque path with no scheme.
    if (!scheme || !/^[a-z][a-z0-9+.-]*:\/\//i.test(url))
      throw new NetledgerError("InvalidParameter", `plugin ${name}: ${file}: Unknown protocol in "${url}" (expected unix://, tcp://, http:// or https://)`);
    return { name, addr: url, source: file, insecure: true };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new NetledgerError("InvalidParameter", `plugin ${name}: ${file} is not valid JSON: ${(e as Error).message}`);
  }
  const r = jsonSpecSchema.safeParse(parsed);
  if (!r.success) throw new NetledgerError("InvalidParameter", `plugin ${name}: ${file} needs a string "Addr" (and an optional "TLSConfig")`);
  const t = r.data.TLSConfig;
  const spec: PluginSpec = { name, addr: r.data.Addr, source: file };
  if (t) {
    const caFile = t.CAFile ?? "";
    // Docker: a TLSConfig without a CA file skips verification.
    spec.tls = { caFile, certFile: t.CertFile ?? "", keyFile: t.KeyFile ?? "", insecureSkipVerify: caFile === "" ? true : (t.InsecureSkipVerify ?? false) };
  }
  return spec;
}

function entries(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return []; // a directory that does not exist holds no plugins
  }
}

/** Every plugin name in the directories (Docker's Scan), each once, in the order first found. */
export function scanPlugins(dirs: readonly string[]): string[] {
  const names: string[] = [];
  const add = (n: string) => {
    if (n !== "" && !names.includes(n)) names.push(n);
  };
  for (const dir of dirs) {
    for (const entry of entries(dir)) {
      const path = join(dir, entry);
      const ext = extname(entry);
      if (isSocket(path)) add(basename(entry, ext));
      else if (ext === ".spec" || ext === ".json") add(basename(entry, ext));
      else if (isDir(path)) {
        if (isSocket(join(path, `${entry}.sock`)) || isFile(join(path, `${entry}.spec`)) || isFile(join(path, `${entry}.json`))) add(entry);
      }
    }
  }
  return names;
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
