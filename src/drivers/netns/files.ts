import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as C from "../../domain/collection.js";
import { hostsFile, PeerIndex } from "../../domain/etchosts.js";
import { isId } from "../../domain/ids.js";
import { resolvConf } from "../../domain/resolvconf.js";
import { sandboxesToRewrite, type Touched } from "../../domain/projection.js";
import type { State } from "../../domain/state.js";
import type { StateProjection } from "../contract.js";

/**
 * Writes each sandbox's `hosts` and `resolv.conf` under RUNDIR/sandboxes/ID/, with an `owner` file
 * naming the database. The contents are a projection of the state (domain/etchosts.ts,
 * domain/resolvconf.ts): rewritten after commits that change them and rebuilt by recovery, so they
 * cost no commit of their own. Files are rewritten in place, not renamed over, as libnetwork does,
 * because a runtime bind-mounts them into the container and a rename would leave it the old file.
 */
export class SandboxFiles implements StateProjection {
  readonly name = "sandbox files";
  readonly root: string;

  constructor(
    runDir: string,
    private readonly databaseId: string,
    private readonly hostResolvConf = "/etc/resolv.conf",
  ) {
    this.root = join(runDir, "sandboxes");
  }

  dir(sandboxId: string): string {
    return join(this.root, sandboxId);
  }

  hostsPath(sandboxId: string): string {
    return join(this.dir(sandboxId), "hosts");
  }

  resolvConfPath(sandboxId: string): string {
    return join(this.dir(sandboxId), "resolv.conf");
  }

  private hostText(): string {
    try {
      return readFileSync(this.hostResolvConf, "utf8");
    } catch {
      return "";
    }
  }

  update(s: State, t: Touched): void {
    this.write(s, sandboxesToRewrite(s, t), t.sandboxes);
  }

  /**
   * Brings the files of these sandboxes in line with the state; those the state no longer has are
   * removed. With `direct`, a sandbox not in it is only a peer whose hosts file lists a changed
   * network: its directory is never made again. Another process may have deleted that sandbox, and
   * its directory, after this one's state was taken (a CNI DEL beside another container's), and a peer's
   * rewrite must not bring the directory back.
   */
  write(s: State, sandboxIds: Iterable<string>, direct?: ReadonlySet<string>): void {
    let host: string | undefined;
    const peers = new PeerIndex(s);
    for (const id of sandboxIds) {
      const sb = C.get(s.sandboxes, id);
      if (!sb) {
        this.remove(id);
        continue;
      }
      host ??= this.hostText();
      const dir = this.dir(id);
      const owner = join(dir, "owner");
      const peerOnly = direct !== undefined && !direct.has(id);
      if (!peerOnly && !this.written.has(owner)) mkdirSync(dir, { recursive: true });
      try {
        this.writeIfChanged(owner, this.databaseId + "\n", peerOnly);
        this.writeIfChanged(this.hostsPath(id), hostsFile(s, sb, peers), peerOnly);
        this.writeIfChanged(this.resolvConfPath(id), resolvConf(s, sb, host), peerOnly);
      } catch (e) {
        if (!(peerOnly && (e as NodeJS.ErrnoException).code === "ENOENT")) throw e;
        this.forget(id); // gone with its sandbox
      }
    }
  }

  /**
   * What this process last wrote to each file: a file whose text has not changed since is neither read
   * nor written again (a join rewrites the files of every peer). Rebuild forgets it and checks them all.
   */
  private readonly written = new Map<string, string>();

  private writeIfChanged(path: string, text: string, onlyIfThere: boolean): void {
    if (this.written.get(path) === text) return;
    writeIfChanged(path, text, onlyIfThere);
    this.written.set(path, text);
  }

  private forget(sandboxId: string): void {
    const dir = this.dir(sandboxId);
    for (const f of [join(dir, "owner"), this.hostsPath(sandboxId), this.resolvConfPath(sandboxId)]) this.written.delete(f);
  }

  /** Every sandbox's files from the state, and the removal of this database's files for sandboxes it no longer has. */
  rebuild(s: State): void {
    this.written.clear();
    this.write(s, [...C.keys(s.sandboxes), ...this.owned().filter((id) => !C.has(s.sandboxes, id))]);
  }

  /** Ids of the sandbox directories this database wrote. */
  owned(): string[] {
    let names: string[];
    try {
      names = readdirSync(this.root);
    } catch {
      return [];
    }
    return names.filter((id) => isId(id) && readOwner(join(this.root, id, "owner")) === this.databaseId);
  }

  /** Removes a sandbox's directory if this database wrote it. */
  remove(sandboxId: string): void {
    const dir = this.dir(sandboxId);
    this.forget(sandboxId);
    if (readOwner(join(dir, "owner")) === this.databaseId) rmSync(dir, { recursive: true, force: true });
  }
}

function readOwner(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return undefined;
  }
}

/** Writes `text` unless the file holds it already; with `onlyIfThere`, an existing file only (ENOENT otherwise). */
function writeIfChanged(path: string, text: string, onlyIfThere: boolean): void {
  try {
    if (readFileSync(path, "utf8") === text) return;
  } catch (e) {
    if (onlyIfThere) throw e;
  }
  writeFileSync(path, text);
}
