import { execFileSync, spawn } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { fileTempDir } from "../tmp.js";

/** The built plugin, as a runtime runs it (`npm run build` first). */
export const pluginPath = fileURLToPath(new URL("../../../bin/netledger-cni.cjs", import.meta.url));
const clientSource = fileURLToPath(new URL("./libcniclient.go", import.meta.url));

/**
 * A CNI plugin directory holding `netledger-cni`: a wrapper that runs the built plugin with this
 * Node, as a runtime finds a plugin by its type in its plugin directories.
 */
export function pluginDir(): string {
  const dir = fileTempDir("nlc-plugins-");
  const wrapper = join(dir, "netledger-cni");
  writeFileSync(wrapper, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(pluginPath)} "$@"\n`);
  chmodSync(wrapper, 0o755);
  return dir;
}

export interface CniReply {
  code: number;
  stdout: string;
  /** stdout as JSON, when it is. */
  json: Record<string, unknown> | undefined;
}

/** Runs the plugin once, as a runtime would: the config on stdin, CNI_* in the environment. */
export function cniCall(env: Record<string, string>, stdin: string): Promise<CniReply> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [pluginPath], { env: { PATH: process.env["PATH"] ?? "", ...env }, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
    child.on("error", reject);
    child.on("close", (code) => {
      let json: Record<string, unknown> | undefined;
      try {
        json = JSON.parse(stdout) as Record<string, unknown>;
      } catch {
        json = undefined;
      }
      resolve({ code: code ?? -1, stdout, json });
    });
    child.stdin.end(stdin);
  });
}

/** The environment of one attachment's calls. */
export function cniEnv(command: string, containerId: string, netns: string, ifname = "eth0", args = ""): Record<string, string> {
  return { CNI_COMMAND: command, CNI_CONTAINERID: containerId, CNI_NETNS: netns, CNI_IFNAME: ifname, CNI_ARGS: args, CNI_PATH: "/usr/lib/cni" };
}

/** Why the libcni client cannot be built here, or undefined when it can. */
export function libcniMissing(): string | undefined {
  if (!existsSync("/usr/share/gocode/src/github.com/containernetworking/cni/libcni/api.go")) return "needs libcni sources (golang-github-appc-cni-dev)";
  try {
    execFileSync("go", ["version"], { stdio: "ignore" });
  } catch {
    return "needs Go (golang-go)";
  }
  return undefined;
}

/** Builds the libcni test client offline into a temp dir; returns its path. */
export function buildLibcniClient(): string {
  const dir = fileTempDir("nlc-go-");
  copyFileSync(clientSource, join(dir, "main.go"));
  execFileSync("go", ["build", "-o", "libcniclient", "main.go"], {
    cwd: dir,
    env: { ...process.env, GO111MODULE: "off", GOPATH: "/usr/share/gocode", GOPROXY: "off", GOFLAGS: "", GOCACHE: join(dir, "cache") },
    stdio: "pipe",
  });
  return join(dir, "libcniclient");
}
