import type { CreateEndpointRequest, CreateNetworkRequest, NetworkDriver } from "../../src/drivers/contract.js";

export type DriverCallName = "createNetwork" | "deleteNetwork" | "createEndpoint" | "deleteEndpoint" | "join" | "leave";

/**
 * A network driver with side effects in this process: every call is an effect, recorded here, and
 * `failOn` makes a call fail, as a plugin's error would. It keeps nothing else.
 */
export class RecordingDriver implements NetworkDriver {
  readonly calls: { op: DriverCallName; req: Record<string, unknown> }[] = [];
  failOn: Partial<Record<DriverCallName, (req: Record<string, unknown>) => string | undefined>> = {};

  private record(op: DriverCallName, req: object): void {
    this.calls.push({ op, req: JSON.parse(JSON.stringify(req)) as Record<string, unknown> });
    const why = this.failOn[op]?.(req as Record<string, unknown>);
    if (why) throw new Error(why);
  }

  ops(): DriverCallName[] {
    return this.calls.map((c) => c.op);
  }

  async createNetwork(req: CreateNetworkRequest) {
    this.record("createNetwork", req);
  }
  async deleteNetwork(req: { networkId: string }) {
    this.record("deleteNetwork", req);
  }
  async createEndpoint(req: CreateEndpointRequest) {
    this.record("createEndpoint", req);
    return {};
  }
  async deleteEndpoint(req: { networkId: string; endpointId: string }) {
    this.record("deleteEndpoint", req);
  }
  async endpointOperInfo() {
    return {};
  }
  async join(req: { endpointId: string }) {
    this.record("join", req);
    return {};
  }
  async leave(req: { endpointId: string }) {
    this.record("leave", req);
  }
}
