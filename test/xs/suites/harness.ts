// A tiny test framework that runs ON XS (build/xs/xsprobe), not on Node: no console, no Node APIs.
// Suites register cases with test(), end with `await run()`, and run() prints one line per case,
//   XSTEST {"name":...,"ok":true|false,"error":...,"data":...}
// then `XSDONE <n>`; test/xs/xs-run.ts parses those lines into vitest cases.
// measure() reads XS's exact counters through the probeReset()/probeRead() globals of xsprobe.c.

/** XS host globals (xsnap.c and test/xs/runner/xsprobe.c). */
declare function print(...values: unknown[]): void;
declare function probeReset(): void;
declare function probeRead(out: Float64Array): void;

/** What measure() saw: deltas over the measured loop, from a baseline taken right after a full GC. */
export interface Measure {
  iterations: number;
  /** Slots in use after the loop minus before: what the loop left alive (or not yet collected). */
  slots: number;
  /** Highest slot count during the loop minus the baseline: catches allocations a mid-loop GC freed. */
  slotsPeak: number;
  /** Chunk bytes (strings, array storage, buffers, BigInts) after minus before. */
  chunks: number;
  /** Highest chunk bytes during the loop minus the baseline. */
  chunksPeak: number;
  /**
   * Computrons (about one per bytecode) for the whole loop, overhead included: 17 fixed (the closing
   * probeRead) plus 22 per iteration for the loop and the call of an empty fn (probe-selftest measures both).
   */
  computrons: number;
  /** computrons / iterations: subtract 22 for the cost of fn's body alone. */
  computronsPerIteration: number;
}

interface Case {
  name: string;
  fn: () => void | Promise<void>;
}

class AssertionError extends Error {
  override name = "AssertionError";
}

const cases: Case[] = [];
let currentData: Record<string, unknown> | undefined;

/** Registers a test case; names must be unique (they become vitest test names). */
export function test(name: string, fn: () => void | Promise<void>): void {
  if (cases.some((c) => c.name === name)) throw new Error(`duplicate test name: ${name}`);
  cases.push({ name, fn });
}

/** Attaches a JSON-able figure to the running case; it is printed in its XSTEST line as data[key]. */
export function report(key: string, value: unknown): void {
  (currentData ??= {})[key] = value;
}

function show(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

/** Fails unless Object.is(actual, expected). */
export function assertEqual<T>(actual: T, expected: T, what = "value"): void {
  if (!Object.is(actual, expected)) throw new AssertionError(`${what}: expected ${show(expected)}, got ${show(actual)}`);
}

/** Fails unless value is truthy. */
export function assertTrue(value: unknown, what = "condition"): void {
  if (!value) throw new AssertionError(`${what}: expected true, got ${show(value)}`);
}

function hex(bytes: ArrayLike<number>, from: number, to: number): string {
  let text = "";
  for (let i = Math.max(0, from); i < Math.min(bytes.length, to); i++) text += (i > from ? " " : "") + (bytes[i] & 0xff).toString(16).padStart(2, "0");
  return text;
}

/** Fails unless actual holds exactly the bytes of expected; the message shows the first difference. */
export function assertBytes(actual: Uint8Array, expected: ArrayLike<number>, what = "bytes"): void {
  const length = Math.max(actual.length, expected.length);
  for (let i = 0; i < length; i++) {
    if (i >= actual.length || i >= expected.length || actual[i] !== (expected[i] & 0xff)) {
      throw new AssertionError(
        `${what}: differ at byte ${i} (lengths ${actual.length} vs expected ${expected.length}); ` +
          `from byte ${Math.max(0, i - 4)}: got [${hex(actual, i - 4, i + 12)}], expected [${hex(expected, i - 4, i + 12)}]`,
      );
    }
  }
}

// Preallocated once, so reading the probe inside measure() allocates nothing.
const before = new Float64Array(5);
const after = new Float64Array(5);

/**
 * Runs fn `warmup` times (first calls may create lazy engine state), then a full GC and peak reset,
 * then fn `iterations` times between two probe reads. The loop itself allocates nothing (verified by
 * probe-selftest), so any non-zero figure comes from fn. Keep string literals out of fn: XS code compiled
 * from source allocates a chunk each time it evaluates one (24 bytes for "abc"). The call site needs no
 * care: the closure passed in and the returned object are created outside the measured window.
 */
export function measure(fn: () => void, iterations = 10000, warmup = 100): Measure {
  for (let i = 0; i < warmup; i++) fn();
  probeReset();
  probeRead(before);
  for (let i = 0; i < iterations; i++) fn();
  probeRead(after);
  const computrons = after[4] - before[4];
  return {
    iterations,
    slots: after[0] - before[0],
    slotsPeak: after[1] - before[0],
    chunks: after[2] - before[2],
    chunksPeak: after[3] - before[2],
    computrons,
    computronsPerIteration: computrons / iterations,
  };
}

/** What held() keeps alive while it counts. */
const kept: unknown[] = [null];

/**
 * Slots and chunk bytes what `make` makes holds on XS: a first one is made and dropped (so engine state
 * made lazily is not counted), then the heap is counted before and after a second one.
 */
export function held(make: () => unknown): { slots: number; chunkBytes: number } {
  const start = new Float64Array(5);
  const end = new Float64Array(5);
  kept[0] = make();
  kept[0] = null;
  probeReset();
  probeRead(start);
  kept[0] = make();
  probeReset();
  probeRead(end);
  return { slots: end[0] - start[0], chunkBytes: end[2] - start[2] };
}

/** Fails unless the measured loop allocated nothing at all: slots, chunks and both peaks exactly 0. */
export function assertNoAllocation(m: Measure, what = "measured code"): void {
  if (m.slots !== 0 || m.slotsPeak !== 0 || m.chunks !== 0 || m.chunksPeak !== 0) {
    throw new AssertionError(
      `${what} allocates over ${m.iterations} iterations: slots ${m.slots} (peak ${m.slotsPeak}), ` +
        `chunk bytes ${m.chunks} (peak ${m.chunksPeak})`,
    );
  }
}

/** Runs the registered cases in order and prints their XSTEST lines, then XSDONE. */
export async function run(): Promise<void> {
  for (const c of cases) {
    currentData = undefined;
    let error: string | undefined;
    try {
      await c.fn();
    } catch (e) {
      error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    }
    print("XSTEST " + JSON.stringify({ name: c.name, ok: error === undefined, error, data: currentData }));
  }
  print("XSDONE " + cases.length);
}
