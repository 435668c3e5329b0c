import { readFileSync } from "node:fs";

/** netledger's version, from its package.json (the CLI's --version, the daemon's /health). */
export const version = (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;
