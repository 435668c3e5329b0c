import type { Command } from "../domain/commands.js";
import type { NetledgerError } from "../domain/errors.js";
import type { StoredEvent } from "../domain/events.js";
import type { State } from "../domain/state.js";

/** An entity a command created or acted on. */
export interface EntityRef {
  kind: "network" | "endpoint" | "sandbox";
  id: string;
}

/** Who sends a command, for the audit trail, and its idempotency key. */
export interface SubmitOptions {
  requestId?: string | undefined;
  actor?: string | undefined;
  /** The caller's labels, recorded in its events' metadata. */
  labels?: Record<string, string> | undefined;
}

/** What the commit of one command hands back. */
export interface Commit {
  /** The events this command appended (none when it repeated a request id). */
  events: StoredEvent[];
  entity?: EntityRef;
  /** True when a request id had been seen before and nothing was appended. */
  repeated: boolean;
  /** The command's root: its request id, or a generated one; its effects carry it. */
  root: string;
  /** For a repeated request id: the seq of the first event its first run appended. */
  since?: number;
  /** Settles once every effect the command caused is settled (rejects with the first failure). */
  settled?: Promise<void>;
}

/**
 * The command bus as the effect layer sees it: outcomes and takeovers go in as commands, the same
 * way a caller's do, and the folded state is read from it. Declared here so that the effect layer
 * needs nothing from the controller above it.
 */
export interface CommandSink {
  submit(cmd: Command, opts?: SubmitOptions): Promise<Commit>;
  /** The state folded so far (call refresh() first to see other processes' commits). */
  readonly state: State;
  /** Folds what other processes committed since the last look. */
  refresh(): void;
  /** Nothing queued and no commit scheduled. */
  idle(): boolean;
}

/** What the bus tells after each fold, so that effects are dispatched and waiters learn of outcomes. */
export interface FoldListener {
  /**
   * After events were folded: this process's own commit (`own`, with the roots of its commands that
   * requested effects) or a catch-up on what other processes appended.
   */
  folded(before: State, events: readonly StoredEvent[], after: State, own: boolean, roots?: ReadonlySet<string>): void;
  /** Each command of a commit, once folded: with what to wait on, or the error it fails with. */
  settle(commit: Commit): Commit | NetledgerError;
}
