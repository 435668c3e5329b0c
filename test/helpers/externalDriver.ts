import Database from "better-sqlite3";
import type { EntityOp as EffectOp } from "../../src/domain/effects/table.js";
import { isNetledgerError, NetledgerError } from "../../src/domain/errors.js";
import type {
  CreateEndpointRequest,
  CreateNetworkRequest,
  DriverModule,
  EffectCall,
  JoinRequest,
  NetworkDriver,
  SandboxDriver,
} from "../../src/drivers/contract.js";

/**
 * An external system netledger cannot roll back: a network driver and a sandbox driver whose state
 * lives in a SQLite file of its own (not the log), shared by every process that opens it, and which
 * counts every call it receives, duplicates included. It behaves like a remote plugin that promises no
 * idempotency: a second create of the same endpoint is refused (Conflict), a delete of what is not there
 * is NotFound. Namespace creation finds what exists, as the in-doubt policy for it assumes.
 *
 * The driver hands out IPv4 addresses itself (from 10.99.0.0/16, lowest free first) and a MAC derived
 * from the endpoint id, returned from CreateEndpoint as a plugin does when netledger sends none: so an
 * address leaked on the driver's side shows as an address no endpoint holds.
 *
 * Faults can be injected per operation for the failure tests: `throw` (the call is received and refused),
 * `hang` (the call is made, then no answer until the call's signal aborts), `garbage` (the call is made
 * and answered with something malformed), `unavailable` (the call never arrives: PluginUnavailable).
 */
export type Fault = "throw" | "hang" | "garbage" | "unavailable";

export const externalDriverName = "external";

export interface ExternalNetwork {
  name: string;
  ipv6: boolean;
  internal: boolean;
  options: Record<string, string>;
  labels: Record<string, string>;
}

export interface ExternalEndpoint {
  network: string;
  address: string;
  mac: string;
}

export interface ExternalState {
  networks: Record<string, ExternalNetwork>;
  endpoints: Record<string, ExternalEndpoint>;
  /** endpoint id → the sandbox it is joined to */
  joins: Record<string, { sandbox: string }>;
  sandboxes: Record<string, { key: string }>;
}

export interface ExternalCall {
  n: number;
  op: string;
  target: string;
  effect: number | null;
  attempt: number | null;
  pid: number;
  /** "ok", or the code of the error the call answered with. */
  answer: string;
}

const kinds = { networks: "network", endpoints: "endpoint", joins: "join", sandboxes: "sandbox" } as const;

export class ExternalSystem {
  readonly db: Database.Database;
  /** Faults injected into this process's calls, by operation. */
  readonly faults: Partial<Record<EffectOp, Fault>> = {};
  /** Milliseconds each call takes before it acts (a plugin's round trip); 0 by default. */
  latency: () => number = () => 0;

  constructor(readonly file: string) {
    this.db = new Database(file, { timeout: 30_000 });
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = FULL");
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS objects (kind TEXT NOT NULL, id TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (kind, id)) STRICT;
      CREATE TABLE IF NOT EXISTS calls (
        n INTEGER PRIMARY KEY, op TEXT NOT NULL, target TEXT NOT NULL, effect INTEGER, attempt INTEGER,
        pid INTEGER NOT NULL, answer TEXT NOT NULL
      ) STRICT;`);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** Everything the system holds now. */
  state(): ExternalState {
    const out: ExternalState = { networks: {}, endpoints: {}, joins: {}, sandboxes: {} };
    const rows = this.db.prepare("SELECT kind, id, value FROM objects ORDER BY kind, id").all() as { kind: string; id: string; value: string }[];
    for (const r of rows) {
      const key = (Object.keys(kinds) as (keyof typeof kinds)[]).find((k) => kinds[k] === r.kind)!;
      (out[key] as Record<string, unknown>)[r.id] = JSON.parse(r.value);
    }
    return out;
  }

  calls(): ExternalCall[] {
    return this.db.prepare("SELECT * FROM calls ORDER BY n").all() as ExternalCall[];
  }

  /** Calls received per operation, duplicates included. */
  callCounts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.db.prepare("SELECT op, count(*) AS n FROM calls GROUP BY op").all() as { op: string; n: number }[]) out[r.op] = r.n;
    return out;
  }

  get<T>(kind: string, id: string): T | undefined {
    const r = this.db.prepare("SELECT value FROM objects WHERE kind = ? AND id = ?").get(kind, id) as { value: string } | undefined;
    return r ? (JSON.parse(r.value) as T) : undefined;
  }

  private put(kind: string, id: string, value: unknown): void {
    this.db.prepare("INSERT OR REPLACE INTO objects (kind, id, value) VALUES (?, ?, ?)").run(kind, id, JSON.stringify(value));
  }

  private del(kind: string, id: string): void {
    this.db.prepare("DELETE FROM objects WHERE kind = ? AND id = ?").run(kind, id);
  }

  private all<T>(kind: string): [string, T][] {
    return (this.db.prepare("SELECT id, value FROM objects WHERE kind = ?").all(kind) as { id: string; value: string }[]).map((r) => [
      r.id,
      JSON.parse(r.value) as T,
    ]);
  }

  /**
   * One call: received (counted, in the same transaction as what it changes), acted on, answered. A
   * process killed at any instant leaves either both or neither.
   */
  private async receive<T>(op: EffectOp, target: string, call: EffectCall | undefined, act: () => T, garbage: unknown): Promise<T> {
    const fault = this.faults[op];
    if (fault === "unavailable") throw new NetledgerError("PluginUnavailable", "the external system is not reachable");
    const wait = this.latency();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    let result: T | undefined;
    let error: unknown;
    this.db
      .transaction(() => {
        if (fault === "throw") error = new Error(`the external system refuses ${op} (injected)`);
        else {
          try {
            result = act();
          } catch (e) {
            error = e;
          }
        }
        this.db
          .prepare("INSERT INTO calls (op, target, effect, attempt, pid, answer) VALUES (?, ?, ?, ?, ?, ?)")
          .run(op, target, call?.effectId ?? null, call?.attempt ?? null, process.pid, error ? (isNetledgerError(error) ? error.code : "Error") : "ok");
      })
      .immediate();
    if (error) throw error;
    if (fault === "garbage") return garbage as T;
    if (fault === "hang")
      return new Promise<T>((_, reject) => call?.signal?.addEventListener("abort", () => reject(call.signal!.reason), { once: true }));
    return result as T;
  }

  private allocate(): string {
    const used = new Set(this.all<ExternalEndpoint>("endpoint").map(([, e]) => e.address));
    for (let i = 2; i < 65534; i++) {
      const a = `10.99.${i >> 8}.${i & 255}/16`;
      if (!used.has(a)) return a;
    }
    throw new NetledgerError("Forbidden", "the external system has no address left");
  }

  networkDriver(): NetworkDriver {
    return {
      createNetwork: (req: CreateNetworkRequest, call) =>
        this.receive("createNetwork", req.networkId, call, () => {
          if (this.get("network", req.networkId)) throw new NetledgerError("Conflict", `network ${req.networkId} already exists`);
          this.put("network", req.networkId, { name: req.name, ipv6: req.ipv6, internal: req.internal, options: req.options, labels: req.labels });
        }, "garbage"),
      deleteNetwork: (req, call) =>
        this.receive("deleteNetwork", req.networkId, call, () => {
          if (!this.get("network", req.networkId)) throw new NetledgerError("NotFound", `network ${req.networkId} not found`);
          if (this.all<ExternalEndpoint>("endpoint").some(([, e]) => e.network === req.networkId))
            throw new NetledgerError("Forbidden", `network ${req.networkId} has endpoints`);
          this.del("network", req.networkId);
        }, "garbage"),
      createEndpoint: (req: CreateEndpointRequest, call) =>
        this.receive(
          "createEndpoint",
          req.endpointId,
          call,
          () => {
            if (!this.get("network", req.networkId)) throw new NetledgerError("NotFound", `network ${req.networkId} not found`);
            if (this.get("endpoint", req.endpointId)) throw new NetledgerError("Conflict", `endpoint ${req.endpointId} already exists`);
            const address = req.interface.address ?? this.allocate();
            const mac = req.interface.mac ?? macOf(req.endpointId);
            this.put("endpoint", req.endpointId, { network: req.networkId, address, mac });
            // Like a plugin: answer only what the driver chose itself.
            return { interface: { ...(req.interface.address ? {} : { address }), ...(req.interface.mac ? {} : { mac }) } };
          },
          { interface: { address: "not-an-address", mac: 42 } },
        ),
      deleteEndpoint: (req, call) =>
        this.receive("deleteEndpoint", req.endpointId, call, () => {
          if (!this.get("endpoint", req.endpointId)) throw new NetledgerError("NotFound", `endpoint ${req.endpointId} not found`);
          if (this.get("join", req.endpointId)) throw new NetledgerError("Forbidden", `endpoint ${req.endpointId} is still joined`);
          this.del("endpoint", req.endpointId);
        }, "garbage"),
      join: (req: JoinRequest, call) =>
        this.receive(
          "join",
          req.endpointId,
          call,
          () => {
            if (!this.get("endpoint", req.endpointId)) throw new NetledgerError("NotFound", `endpoint ${req.endpointId} not found`);
            if (this.get("join", req.endpointId)) throw new NetledgerError("Conflict", `endpoint ${req.endpointId} is already joined`);
            if (req.sandboxKey !== null && !this.get("sandbox", req.sandboxId))
              throw new NetledgerError("NotFound", `no namespace for sandbox ${req.sandboxId}`);
            this.put("join", req.endpointId, { sandbox: req.sandboxId });
            return { interfaceName: { srcName: `ext${req.endpointId.slice(0, 8)}`, dstPrefix: "eth" }, gateway: "10.99.0.1" };
          },
          { interfaceName: 42, gateway: "nowhere" },
        ),
      leave: (req, call) =>
        this.receive("leave", req.endpointId, call, () => {
          if (!this.get("join", req.endpointId)) throw new NetledgerError("NotFound", `endpoint ${req.endpointId} is not joined`);
          this.del("join", req.endpointId);
        }, "garbage"),
      endpointOperInfo: async (req) => this.get<Record<string, unknown>>("endpoint", req.endpointId) ?? {},
    };
  }

  sandboxDriver(): SandboxDriver {
    return {
      createSandbox: (req, call) =>
        this.receive("createSandbox", req.sandboxId, call, () => this.put("sandbox", req.sandboxId, { key: req.key }), "garbage"),
      deleteSandbox: (req, call) => this.receive("deleteSandbox", req.sandboxId, call, () => this.del("sandbox", req.sandboxId), "garbage"),
    };
  }
}

function macOf(endpointId: string): string {
  const h = endpointId.slice(0, 8);
  return `02:42:${h.slice(0, 2)}:${h.slice(2, 4)}:${h.slice(4, 6)}:${h.slice(6, 8)}`;
}

/**
 * What Controller.open needs to use the external system: the driver module and the sandbox driver.
 * The system outlives the controllers that use it (a test reads it after they close): its owner closes it.
 */
export function externalDrivers(system: ExternalSystem): { drivers: DriverModule[]; sandboxDriver: SandboxDriver } {
  const module: DriverModule = {
    init(register) {
      register(externalDriverName, system.networkDriver(), { dataScope: "local", sideEffects: true, usesIpam: false });
    },
  };
  return { drivers: [module], sandboxDriver: system.sandboxDriver() };
}
