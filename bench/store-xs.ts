/**
 * The flash store's figures on XS (npm run bench; alone: node build/bench/run.js --store): a persisted
 * publish round trip (QoS 1: publish, write, PUBACK; QoS 2: publish, PUBREC, PUBREL, PUBCOMP) in computrons
 * beside the same cycle without a store, the heap it allocates (exact XS counters, peaks included), the
 * bytes and writes it puts on flash per message, the erases per 1,000 messages and the RAM the store
 * adds. Measured by the XS suite test/xs/suites/store.xs.ts (which also asserts the zero allocation) over
 * 10,000 cycles on a 64 KiB flash of 4,096-byte sectors (the ESP32's), a 96-byte PUBLISH.
 */
import { runXsModule } from "../test/xs/xs-run.js";
import type { Figure } from "./figure.js";

/** A slot on a 32-bit device (16 bytes); chunk bytes count as themselves. */
const SLOT_BYTES = 16;

interface Measure {
  iterations: number;
  slotsPeak: number;
  chunksPeak: number;
  computronsPerIteration: number;
}
interface StoreFigures {
  qos: number;
  stored: Measure;
  plain: Measure;
  bytesPerMessage: number;
  writesPerMessage: number;
  erasesPer1000: number;
  storeRam: number;
}

export async function storeXs(progress: (line: string) => void): Promise<Figure[]> {
  progress("store (XS): running build/test/xs/suites/store.xs.js on xsprobe");
  const results = await runXsModule("build/test/xs/suites/store.xs.js", { timeoutMs: 180_000 });
  const figures: Figure[] = [];
  for (const result of results) {
    if (!result.ok || !result.data) throw new Error("the XS store bench failed: " + (result.error ?? "no result"));
    const f = result.data.figures as StoreFigures;
    const what = f.qos === 1 ? "QoS 1 round trip (publish, write, PUBACK)" : "QoS 2 round trip (publish, PUBREC, PUBREL, PUBCOMP)";
    figures.push(
      {
        name: `store: persisted ${what} (XS)`, ours: Math.round(f.stored.computronsPerIteration - 22), peer: Math.round(f.plain.computronsPerIteration - 22),
        peerName: "the same cycle, no store", unit: "computrons/op (a RAM NOR flash whose JS byte loops are included)", higherIsBetter: false,
        reference: "the cost of the store is ours minus the peer's: the records' CRC-32 and copy, and the fake flash's byte loops",
      },
      {
        name: `store: persisted ${what}: heap allocated (XS)`, ours: (f.stored.slotsPeak * SLOT_BYTES + f.stored.chunksPeak) / f.stored.iterations, peer: null, peerName: null,
        unit: `bytes/op (slots x ${SLOT_BYTES} + chunk bytes, peak over ${f.stored.iterations.toLocaleString("en-US")} ops, collections included)`, higherIsBetter: false, ceiling: 0,
      },
      { name: `store: flash bytes written per message, ${what}`, ours: Math.round(f.bytesPerMessage * 10) / 10, peer: null, peerName: null, unit: `bytes (${f.writesPerMessage.toFixed(2)} writes)`, higherIsBetter: false },
      { name: `store: sector erases per 1,000 messages, ${what}`, ours: Math.round(f.erasesPer1000 * 10) / 10, peer: null, peerName: null, unit: "erases of 4,096 bytes", higherIsBetter: false },
    );
    if (f.qos === 2) figures.push({ name: "store: RAM the store adds to the client (64 KiB flash, 4,096-byte sectors, 32 slots)", ours: f.storeRam, peer: null, peerName: null, unit: "bytes", higherIsBetter: false });
  }
  return figures;
}
