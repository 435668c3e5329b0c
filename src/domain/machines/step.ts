import { type AnyStateMachine, type EventFrom, type StateValueFrom, transition } from "xstate";

/**
 * xstate v5 machines used as pure transition functions (docs/architecture.md, the flow of one command): the state is stored as a plain
 * string, never as a live actor. The machines have no context and no guards, so the next state depends
 * on (state, event type) alone; each pair is computed once with xstate's `transition()` and remembered.
 * decide() asks `canStep` before it emits an event; evolve() calls `step`, which refuses what the
 * machine does not accept, so replay reports such an event as a bug instead of folding it.
 */
const memo = new WeakMap<AnyStateMachine, Map<string, Map<string, string | null>>>();

/** A machine's state values and event types, as its config names them (the machines are flat). */
export type StateOf<M extends AnyStateMachine> = StateValueFrom<M> & string;
export type EventOf<M extends AnyStateMachine> = EventFrom<M>["type"];

/** The initial state of a lifecycle before its first event. */
export const initial = "none";

function compute(machine: AnyStateMachine, from: string, type: string): string | null {
  const snapshot = machine.resolveState({ value: from, context: {} });
  if (snapshot.status === "done" || !snapshot.can({ type })) return null;
  const [next] = transition(machine, snapshot, { type });
  return String(next.value);
}

/** The state after `type`, or null when the machine does not accept it in `from`. */
function next<M extends AnyStateMachine>(machine: M, from: StateOf<M> | typeof initial, type: EventOf<M>): StateOf<M> | null {
  return nextValue(machine, from, type) as StateOf<M> | null;
}

function nextValue(machine: AnyStateMachine, from: string, type: string): string | null {
  let table = memo.get(machine);
  if (!table) memo.set(machine, (table = new Map()));
  // Nested by state, then event: no key string is built per step (replay steps millions of times).
  let row = table.get(from);
  if (!row) table.set(from, (row = new Map()));
  let to = row.get(type);
  if (to === undefined) {
    to = compute(machine, from, type);
    row.set(type, to);
  }
  return to;
}

export function canStep<M extends AnyStateMachine>(machine: M, from: StateOf<M>, type: EventOf<M>): boolean {
  return next(machine, from, type) !== null;
}

export class IllegalTransition extends Error {
  constructor(
    readonly machineId: string,
    readonly from: string,
    readonly type: string,
  ) {
    super(`the ${machineId} lifecycle does not accept ${type} in state "${from}"`);
  }
}

export function step<M extends AnyStateMachine>(machine: M, from: StateOf<M> | typeof initial, type: EventOf<M>): StateOf<M> {
  const to = next(machine, from, type);
  if (to === null) throw new IllegalTransition(machine.id, from, type);
  return to;
}

/**
 * Final states (a deleted entity) are removed from the state by evolve; this says which they are.
 * Memoised like the transitions: evolve asks after every lifecycle step, and resolving a state with
 * xstate was a fifth of a replay's time.
 */
export function isFinal<M extends AnyStateMachine>(machine: M, value: StateOf<M>): boolean {
  let table = finals.get(machine);
  if (!table) finals.set(machine, (table = new Map()));
  let done = table.get(value);
  if (done === undefined) {
    done = machine.resolveState({ value, context: {} }).status === "done";
    table.set(value, done);
  }
  return done;
}

const finals = new WeakMap<AnyStateMachine, Map<string, boolean>>();
