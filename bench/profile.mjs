// Summarises a V8 CPU profile (node --cpu-prof --cpu-prof-dir=DIR …): `node bench/profile.mjs DIR [self|incl]`
// prints the functions taking the most time, self or inclusive; the largest profile in DIR is read.
import { readFileSync, readdirSync, statSync } from "node:fs";
const dir = process.argv[2] ?? "/tmp/prof";
const f = readdirSync(dir).filter((x) => x.endsWith(".cpuprofile")).map((x) => [x, statSync(`${dir}/${x}`).size]).sort((a, b) => b[1] - a[1])[0][0];
const p = JSON.parse(readFileSync(`${dir}/${f}`, "utf8"));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const dt = new Map();
for (let i = 0; i < p.samples.length; i++) dt.set(p.samples[i], (dt.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
const total = [...dt.values()].reduce((a, b) => a + b, 0);
const key = (n) => `${n.callFrame.functionName || "(anon)"} ${n.callFrame.url.split("/").slice(-2).join("/")}:${n.callFrame.lineNumber}`;
const self = new Map(), incl = new Map();
function walk(n, stack) {
  const k = key(n);
  let t = dt.get(n.id) ?? 0;
  self.set(k, (self.get(k) ?? 0) + t);
  let sub = t;
  const fresh = !stack.has(k);
  if (fresh) stack.add(k);
  for (const c of n.children ?? []) sub += walk(byId.get(c), stack);
  if (fresh) { stack.delete(k); incl.set(k, (incl.get(k) ?? 0) + sub); }
  return sub;
}
walk(p.nodes[0], new Set());
const mode = process.argv[3] ?? "self";
const m = mode === "incl" ? incl : self;
for (const [k, v] of [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.TOP ?? 45))) console.log((100 * v / total).toFixed(1).padStart(5) + "%", (v / 1000).toFixed(0).padStart(7) + " ms", k);
