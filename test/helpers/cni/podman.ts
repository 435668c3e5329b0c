import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * podman with its CNI backend, no image registry: a busybox root file system and podman's own
 * storage in a temp dir, plugins found in `cni_plugin_dirs` of a containers.conf named by
 * CONTAINERS_CONF (the recipes of the research notes: runc rather than crun, rlimits not raised).
 */

const busybox = ["/usr/bin/busybox", "/bin/busybox"].find((p) => existsSync(p));

function has(program: string): boolean {
  return spawnSync(program, ["--version"], { stdio: "ignore" }).status === 0;
}

/** Why podman cannot run here, or undefined when it can. */
export function podmanMissing(): string | undefined {
  if (process.getuid?.() !== 0) return "needs root";
  if (!has("podman")) return "needs podman";
  if (!has("runc")) return "needs runc";
  if (!busybox) return "needs busybox-static";
  return undefined;
}

/** A busybox root file system: /bin/busybox with a link per applet, and root in passwd and group. */
export function busyboxRootfs(dir: string): string {
  const root = join(dir, "rootfs");
  mkdirSync(join(root, "bin"), { recursive: true });
  mkdirSync(join(root, "etc"), { recursive: true });
  copyFileSync(busybox!, join(root, "bin", "busybox"));
  for (const applet of execFileSync(busybox!, ["--list"], { encoding: "utf8" }).split("\n"))
    if (applet !== "" && applet !== "busybox") symlinkSync("busybox", join(root, "bin", applet));
  writeFileSync(join(root, "etc", "passwd"), "root:x:0:0:root:/root:/bin/sh\n");
  writeFileSync(join(root, "etc", "group"), "root:x:0:\n");
  return root;
}

export interface Podman {
  /** Runs podman with this storage and CNI configuration; throws with its stderr on failure. */
  (...args: string[]): string;
  rootfs: string;
  cniDir: string;
}

/** A podman of the test's own: storage under `dir`, CNI configs in `dir/cni`, plugins in `pluginDir` then /usr/lib/cni. */
export function podmanIn(dir: string, pluginDir: string, env: NodeJS.ProcessEnv): Podman {
  const cniDir = join(dir, "cni");
  mkdirSync(cniDir, { recursive: true });
  const conf = join(dir, "containers.conf");
  writeFileSync(
    conf,
    [
      "[network]",
      `network_backend = "cni"`,
      `network_config_dir = "${cniDir}"`,
      `cni_plugin_dirs = ["${pluginDir}", "/usr/lib/cni"]`,
      "[engine]",
      `events_logger = "file"`,
      `cgroup_manager = "cgroupfs"`,
      `runtime = "runc"`,
      "",
    ].join("\n"),
  );
  const base = ["--root", join(dir, "root"), "--runroot", join(dir, "runroot"), "--tmpdir", join(dir, "tmp"), "--network-backend", "cni", "--cni-config-dir", cniDir];
  const run = ((...args: string[]) =>
    execFileSync("podman", [...base, ...args], { env: { ...process.env, ...env, CONTAINERS_CONF: conf }, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 120_000 })) as Podman;
  run.rootfs = busyboxRootfs(dir);
  run.cniDir = cniDir;
  return run;
}

/** The flags every `podman run` here needs, before --rootfs (which takes the path and then the command). */
export const runFlags = ["--runtime", "runc", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", "--cap-add", "NET_RAW"];
