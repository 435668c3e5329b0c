import { styleText } from "node:util";
import type { Io } from "./output.js";

type Paint = (s: string) => string;

/** Colours for text on stdout; each is the identity where colour is off. */
export interface Style {
  ok: Paint;
  bad: Paint;
  warn: Paint;
  dim: Paint;
  bold: Paint;
  /** An entity's state, coloured by what it means: settled, in progress, failed. */
  state: Paint;
}

/** Settled states read green, transitional ones yellow, failures red (interface.md §3). */
const settled = new Set(["active", "created", "joined", "ready", "succeeded", "ok"]);
const transitional = new Set(["creating", "joining", "leaving", "deleting", "pending"]);

/**
 * Colour only on a terminal and never with NO_COLOR (no-color.org: set and not empty), so that piped
 * output and golden files carry no escape codes.
 */
export function colourOn(io: Io): boolean {
  return io.isTTY && !io.env["NO_COLOR"];
}

export function styleFor(io: Io): Style {
  const on = colourOn(io);
  const paint =
    (format: Parameters<typeof styleText>[0]): Paint =>
    (s) =>
      // Gated here (the Io may not be process.stdout), so styleText must not check the stream itself.
      on && s !== "" ? styleText(format, s, { validateStream: false }) : s;
  const ok = paint("green");
  const warn = paint("yellow");
  const bad = paint("red");
  return {
    ok,
    bad,
    warn,
    dim: paint("dim"),
    bold: paint("bold"),
    state: (s) => (settled.has(s) ? ok(s) : transitional.has(s) ? warn(s) : s === "failed" || s === "in doubt" ? bad(s) : s),
  };
}
