import * as C from "../../domain/collection.js";
import type { Touched } from "../../domain/projection.js";
import type { State } from "../../domain/state.js";
import type { StateProjection } from "../contract.js";
import { applyRuleset, enableForwarding } from "./nftables.js";
import { firewallPlan, forwardingNeeded, rulesetText } from "./ruleset.js";

/**
 * The bridge driver's nftables table kept in step with the state: after a commit that touches a
 * bridge network or one of its endpoints, the table is replaced by the ruleset of the current state
 * in one `nft -f`; recovery and re-programming after a reboot rebuild it the same way.
 */
export class Firewall implements StateProjection {
  readonly name = "nftables";
  /** The script last applied by this process: an unchanged ruleset is not loaded again. */
  private applied: string | undefined;

  constructor(private readonly databaseId: string) {}

  update(state: State, t: Touched, before: State): Promise<void> | void {
    const bridgeTouched = [...t.networks].some(
      (id) => C.get(state.networks, id)?.driver === "bridge" || C.get(before.networks, id)?.driver === "bridge",
    );
    if (bridgeTouched) return this.apply(state);
  }

  rebuild(state: State): Promise<void> {
    this.applied = undefined;
    return this.apply(state);
  }

  /** The ruleset this state asks for. */
  text(state: State): string {
    return rulesetText(firewallPlan(state, this.databaseId));
  }

  private async apply(state: State): Promise<void> {
    const plan = firewallPlan(state, this.databaseId);
    const text = rulesetText(plan);
    if (text === this.applied) return;
    enableForwarding(forwardingNeeded(plan));
    await applyRuleset(text);
    this.applied = text;
  }
}
