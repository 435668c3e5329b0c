import * as A from "../src/domain/ipam/allocator.js";
import { parseSubnet } from "../src/domain/ipam/address.js";
import { digitsOfNumber, smallOrdinalOf } from "../src/domain/ipam/bitmap.js";
import { newPoolAllocator } from "../src/domain/ipam/pool.js";
import { type Benchmark, type BenchResult, opsPerSecond, xorshift } from "./harness.js";

/**
 * The default IPAM's allocator on its own (the code decide and replay run per address): allocations
 * per second in a /8, and in a /16 kept 99% full, where each allocation must search past taken
 * addresses and is paired with a release so that the pool stays full. Floors: a JavaScript Set doing
 * the same number of inserts (and deletes) of the same ordinals, with no search at all.
 */
const perRound = 1_000_000;

function inSlash8(): ReturnType<Benchmark> {
  const subnet = parseSubnet("10.0.0.0/8", "bench");
  const value = opsPerSecond(
    perRound,
    () => newPoolAllocator(subnet, null),
    (al, n) => {
      for (let i = 0; i < n; i++) if (!A.takeNext(al)) throw new Error("the /8 ran out");
    },
  );
  const floor = opsPerSecond(
    perRound,
    () => new Set<number>(),
    (set, n) => {
      for (let i = 1; i <= n; i++) set.add(i);
    },
  );
  return [
    {
      name: "target5",
      label: "IPAM allocations in a /8",
      value,
      unit: "allocs/s",
      floor,
      floorName: "Set.add of as many ordinals",
      ratio: value / floor,
      target: ">= 1,000,000 allocs/s",
      met: value >= 1_000_000,
    },
  ];
}

interface FullPool {
  al: A.Allocator;
  held: number[];
  levels: number;
  rnd: () => number;
}

/** A /16 with 99% of its host addresses taken, the free 1% scattered; `held` lists what is taken. */
function fullSlash16(): FullPool {
  const al = newPoolAllocator(parseSubnet("10.0.0.0/16", "bench"), null);
  const levels = al.bitmap.levels;
  const hosts = 65534;
  const rnd = xorshift(7);
  const held: number[] = [];
  for (let o = 1; o <= hosts; o++) held.push(o);
  for (const o of held) A.claim(al, digitsOfNumber(o, levels), false);
  const free = Math.ceil(hosts / 100);
  for (let i = 0; i < free; i++) {
    const j = Math.floor(rnd() * held.length);
    A.release(al, digitsOfNumber(held[j]!, levels));
    held[j] = held[held.length - 1]!;
    held.pop();
  }
  return { al, held, levels, rnd };
}

function inFullSlash16(reference: number): ReturnType<Benchmark> {
  const churn = 200_000;
  const value = opsPerSecond(churn, fullSlash16, ({ al, held, levels, rnd }, n) => {
    for (let i = 0; i < n; i++) {
      const d = A.takeNext(al);
      if (!d) throw new Error("the /16 ran out");
      const j = Math.floor(rnd() * held.length);
      A.release(al, digitsOfNumber(held[j]!, levels));
      held[j] = smallOrdinalOf(d);
    }
  });
  const floor = opsPerSecond(
    churn,
    () => {
      const set = new Set<number>();
      for (let o = 1; o <= 64879; o++) set.add(o);
      return set;
    },
    (set, n) => {
      for (let i = 0; i < n; i++) {
        set.delete(1 + (i % 64879));
        set.add(1 + (i % 64879));
      }
    },
  );
  return [
    {
      name: "target5b",
      label: "IPAM allocations in a /16 kept 99% full (each paired with a release)",
      value,
      unit: "allocs/s",
      floor,
      floorName: "Set.delete+add of as many ordinals",
      ratio: value / floor,
      target: `>= half the /8 figure (${Math.round(reference / 2).toLocaleString("en-US")} allocs/s)`,
      met: value >= reference / 2,
    },
  ];
}

export const benchmarks: Benchmark[] = [
  () => {
    const slash8 = inSlash8() as BenchResult[];
    return [...slash8, ...(inFullSlash16(slash8[0]!.value!) as BenchResult[])];
  },
];
