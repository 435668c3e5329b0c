import { randomFillSync } from "node:crypto";

/**
 * Random hex strings for new entity ids and command roots, cut from a pool of random bytes filled 4 KiB
 * at a time: one randomBytes call per id was a measurable part of a command's CPU (npm run bench).
 * The bytes are the same CSPRNG's; each is handed out once.
 */
const pool = Buffer.alloc(4096);
let used = pool.length;

export function randomHex(bytes: number): string {
  if (used + bytes > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  const s = pool.toString("hex", used, used + bytes);
  used += bytes;
  return s;
}
