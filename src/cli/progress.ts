import { createRequire } from "node:module";
import type cliProgress from "cli-progress";
import type { Progress } from "../controller/loadState.js";
import type { Io } from "./output.js";

/** Work expected to take longer than this shows a bar. */
const showAfterMs = 1000;

/**
 * The bar's width so that the whole line fits the terminal: what surrounds the bar (label, percent,
 * counts, ETA) is measured for this total, the rest of the columns (up to 40) go to the bar.
 */
export function barSize(columns: number | undefined, label: string, total: number): number {
  const digits = String(total).length;
  const around = `${label} [] 100% | ${"9".repeat(digits)}/${"9".repeat(digits)} events | ETA 00h00m`.length + 1;
  return Math.max(5, Math.min(40, (columns ?? 80) - around));
}

/**
 * A progress bar on stderr for work over events (replay, verify), shown only when stderr is a terminal
 * and only when the work will take longer than about a second: from the rate of the first reports the
 * whole is estimated, so a long run shows its bar at once and a short one never flickers one up.
 * `done()` removes the bar; call it in a `finally`.
 */
export function progressBar(io: Io, label: string): { onProgress: Progress | undefined; done: () => void } {
  const stream = io.progress;
  if (!stream) return { onProgress: undefined, done: () => {} };
  const started = Date.now();
  let bar: cliProgress.SingleBar | undefined;
  const onProgress: Progress = (done, total) => {
    if (!bar) {
      if (done >= total || done === 0) return;
      const elapsed = Date.now() - started;
      if (elapsed < showAfterMs && (elapsed * total) / done < showAfterMs) return;
      // Required here, not at start-up: only a long read on a terminal draws a bar.
      const cliProgress = createRequire(import.meta.url)("cli-progress") as typeof import("cli-progress");
      bar = new cliProgress.SingleBar(
        {
          stream,
          format: `${label} [{bar}] {percentage}% | {value}/{total} events | ETA {eta_formatted}`,
          barsize: barSize(stream.columns, label, total),
          clearOnComplete: true,
          etaBuffer: 20,
          // Replay and verify run without yielding to the event loop: a SIGINT handler would wait for
          // them to finish, so Ctrl-C must keep its default (end the process at once), and the bar
          // leaves nothing to restore (no hidden cursor, no line wrapping turned off).
          gracefulExit: false,
          hideCursor: false,
          linewrap: true,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, done);
      return;
    }
    bar.setTotal(total);
    bar.update(done);
    if (done >= total) stop();
  };
  const stop = () => {
    bar?.stop();
    bar = undefined;
  };
  return { onProgress, done: stop };
}
