import type { Command } from "../domain/commands.js";
import * as C from "../domain/collection.js";
import type { State } from "../domain/state.js";

/** How many commands' actors are kept before those whose effects are all settled are forgotten. */
const keep = 256;

/**
 * Who sent each command whose effects may still be open, so that the outcomes, retries and unsent
 * marks of those effects (which the effect layer sends without an actor) are recorded under the same
 * actor: in a daemon serving many callers, `log --actor cni` then shows a CNI call's driver outcomes as
 * the in-process library, whose own actor is the caller's, always did. Kept in memory only: after a
 * restart, recovery's outcomes are the process's own.
 */
export class RootActors {
  private readonly byRoot = new Map<string, string>();

  /** A command sent under `actor`, other than the process's own; `queued`: the roots of commands not yet decided. */
  note(root: string, actor: string, state: State, queued: Iterable<string>): void {
    if (this.byRoot.size >= keep) this.forgetSettled(state, queued);
    this.byRoot.set(root, actor);
  }

  /** The actor an effect's outcome inherits from the command that caused the effect, if it was noted. */
  of(cmd: Command, state: State): string | undefined {
    if (this.byRoot.size === 0) return undefined;
    if (cmd.type !== "effect.outcome" && cmd.type !== "effect.retry" && cmd.type !== "effect.unsent") return undefined;
    const fx = C.get(state.effects, String(cmd.effect));
    return fx ? this.byRoot.get(fx.root) : undefined;
  }

  private forgetSettled(state: State, queued: Iterable<string>): void {
    const open = new Set<string>(queued);
    for (const fx of C.values(state.effects)) open.add(fx.root);
    for (const root of this.byRoot.keys()) if (!open.has(root)) this.byRoot.delete(root);
  }
}
