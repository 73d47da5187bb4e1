// Proves the allocation probe on XS: silent on code that allocates nothing, loud on a single allocation,
// not fooled by a GC in mid-loop, and computrons that track the work. Run by test/xs/probe.test.ts.
import { assertEqual, assertNoAllocation, assertTrue, measure, report, run, test, type Measure } from "./harness.js";

declare function gc(): void;
declare function probeReset(): void;
declare function probeRead(out: Float64Array): void;

const buf = new Uint8Array(64);
let kept: unknown = null; // where allocating loops store what they create, so nothing is optimized away

function assertCaught(m: Measure, what: string): void {
  let threw = false;
  try {
    assertNoAllocation(m, what);
  } catch {
    threw = true;
  }
  assertTrue(threw, `assertNoAllocation rejects ${what}`);
}

test("index writes to a preallocated Uint8Array allocate nothing", () => {
  let i = 0;
  const m = measure(() => {
    buf[i & 63] = i;
    i++;
  });
  report("measure", m);
  assertNoAllocation(m, "index writes");
});

test("probeRead in a loop allocates nothing", () => {
  const out = new Float64Array(5);
  const m = measure(() => probeRead(out));
  report("measure", m);
  assertNoAllocation(m, "probeRead");
});

test("one allocating iteration out of 10,000 is caught", () => {
  let i = 0;
  kept = null;
  const m = measure(() => {
    buf[i & 63] = i;
    // The warm-up runs 100 times first, so this fires once, in the middle of the measured loop.
    if (i === 5000) kept = new Uint8Array(buf.buffer, 0, 4);
    i++;
  });
  report("measure", m);
  assertTrue(m.slots > 0 || m.slotsPeak > 0, "a view created once shows in slots");
  assertTrue(kept instanceof Uint8Array, "the allocating branch ran");
  assertCaught(m, "one view");
});

test("allocation in every iteration is caught through organic GCs", () => {
  // 4 slots x 100,000 iterations outgrow the 256K-slot heap, so XS collects in mid-loop.
  const m = measure(() => {
    kept = new Uint8Array(buf.buffer, 0, 4);
  }, 100000);
  report("measure", m);
  assertTrue(m.slots < m.slotsPeak, "a GC ran in mid-loop (slots fell below their peak)");
  assertCaught(m, "a view per iteration");
});

test("a full GC at the end of the loop hides slots but not the peak", () => {
  let i = 0;
  const m = measure(() => {
    kept = new Uint8Array(buf.buffer, 0, 4);
    if (++i === 10100) gc(); // last iteration: after the 100 warm-up calls and 10,000 measured ones
  });
  report("measure", m);
  assertEqual(m.slots, 0, "slots after a full GC (what a current-only probe would see)");
  assertTrue(m.slotsPeak >= 4 * 10000, "the slot peak still holds 4 slots per iteration");
  assertCaught(m, "views collected at the end");
});

test("chunk allocation is caught through a compacting GC", () => {
  // 10,000 buffers of 4 KB outgrow the 32 MB chunk heap, so XS compacts in mid-loop.
  const m = measure(() => {
    kept = new ArrayBuffer(4096);
  });
  report("measure", m);
  assertTrue(m.chunks < m.chunksPeak, "a GC ran in mid-loop (chunk bytes fell below their peak)");
  assertTrue(m.chunksPeak >= 4096, "the chunk peak holds at least one buffer");
  assertCaught(m, "a buffer per iteration");
});

test("computrons are positive and grow with the work", () => {
  let i = 0;
  const one = () => {
    buf[i & 63] = i;
    i++;
  };
  const eight = () => {
    for (let k = 0; k < 8; k++) buf[(i + k) & 63] = i;
    i++;
  };
  const c1 = measure(one, 1000).computrons;
  const c2 = measure(one, 2000).computrons;
  const c3 = measure(one, 3000).computrons;
  const m8 = measure(eight);
  const m1 = measure(one);
  report("oneWrite", m1.computronsPerIteration);
  report("eightWrites", m8.computronsPerIteration);
  report("byIterations", [c1, c2, c3]);
  assertTrue(c1 > 0, "computrons are counted");
  // Metering is deterministic: each extra 1,000 iterations costs exactly the same.
  assertEqual(c3 - c2, c2 - c1, "cost of 1,000 more iterations");
  assertTrue(c2 - c1 > 0, "more iterations cost more");
  assertTrue(m8.computronsPerIteration > m1.computronsPerIteration, "eight writes cost more than one");
});

test("probe overhead", () => {
  const a = new Float64Array(5);
  const b = new Float64Array(5);
  probeRead(a);
  probeReset();
  probeRead(b);
  const empty = () => {};
  const fixed = measure(empty, 0);
  const loop = measure(empty, 10000);
  report("probeResetPlusProbeRead", b[4] - a[4]);
  report("measureFixed", fixed.computrons);
  report("emptyIteration", (loop.computrons - fixed.computrons) / 10000);
  assertNoAllocation(loop, "an empty measured loop");
});

await run();
