// Crash safety of the store: a power cut at every byte of every write (and, by fast-check, at random bytes
// of random runs with several resets), then a reset: every message whose publish() returned is there
// unless its end was recorded; an ended one never comes back; a QoS 2 message whose PUBREC was recorded
// comes back Released (PUBREL again, never its PUBLISH: no duplicate); packet ids are kept.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SimFlash } from "../../host-sim/device/flash.js";
import { ack, connect, drain, PUBACK, PUBCOMP, PUBREC, records, Released, rig, Sent, type Rig } from "./fixture.js";

/** ack: the open message at that index (mod their count); newest: the newest open one but m0 and m1. */
type Op = { publish: 0 | 1 | 2 } | { ack: number } | { newest: true };

interface Message {
  qos: number;
  id: number;
  /** Recorded for certain: released (PUBREC handled), ended (PUBACK/PUBCOMP handled). */
  released: boolean;
  ended: boolean;
}

interface Run {
  messages: Map<string, Message>;
  /** The message whose operation the cut interrupted (its outcome may be either). */
  uncertain: string | null;
  next: number;
  /** StoreError codes reported while the power was on: there must be none. */
  errors: number[];
}

function lcg(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

const options = { transmitBufferSize: 512, queueSlots: 8, inflight: 4 };

/** Plays `ops` on a client over `sim` until the power goes; returns what is certain. */
function play(sim: SimFlash, ops: readonly Op[], run: Run, qos0 = false): Rig {
  const r = rig(sim, options, { qos0, onError: (code) => sim.dead || run.errors.push(code) });
  connect(r, true);
  for (const op of ops) {
    if (sim.dead) break;
    if ("publish" in op) {
      const name = "m" + run.next++;
      run.uncertain = name;
      const id = r.client.publish("t/" + (run.next % 3), name, op.publish);
      drain(r);
      if (sim.dead) break;
      run.uncertain = null;
      if (id >= 0 && (op.publish > 0 || qos0)) run.messages.set(name, { qos: op.publish, id, released: false, ended: op.publish === 0 });
      continue;
    }
    // Only a message in flight (sent, not yet acknowledged) can be acknowledged.
    const flying = new Set(records(r.client).filter((x) => x.state === Sent || x.state === Released).map((x) => x.payload));
    const open = [...run.messages.entries()].filter(([name, m]) => !m.ended && m.qos > 0 && flying.has(name));
    if (open.length === 0) continue;
    // newest never takes m0 or m1: the script holds them open.
    const newer = open.filter(([name]) => name !== "m0" && name !== "m1");
    if ("newest" in op && newer.length === 0) continue;
    const [name, m] = "newest" in op ? newer[newer.length - 1] : open[op.ack % open.length];
    run.uncertain = name;
    if (m.qos === 1) ack(r, PUBACK, m.id);
    else ack(r, m.released ? PUBCOMP : PUBREC, m.id);
    if (sim.dead) break;
    run.uncertain = null;
    if (m.qos === 1 || m.released) m.ended = true;
    else m.released = true;
  }
  return r;
}

/** After a reset: checks the loaded records against what was certain; returns a message, or null. */
function check(sim: SimFlash, run: Run, qos0 = false): string | null {
  if (run.errors.length > 0) return `the store reported errors ${run.errors.join(", ")} with the power on`;
  sim.powerOn();
  const r = rig(sim, options, { qos0 });
  const found = new Map(records(r.client).map((x) => [x.payload, x]));
  for (const [name, m] of run.messages) {
    const got = found.get(name);
    // QoS 0 (stored with qos0) goes whenever the client is connected and ends after its bytes went: at
    // most once but for a cut between the two; only "never committed, yet back" applies to it.
    if (name === run.uncertain || m.qos === 0) continue;
    if (m.ended) {
      if (got !== undefined && m.qos > 0) return `${name} (QoS ${m.qos}) was acknowledged and came back`;
      continue;
    }
    if (got === undefined) return `${name} (QoS ${m.qos}) was committed and is lost`;
    if (got.id !== m.id) return `${name} came back with id ${got.id}, not ${m.id}`;
    if (m.released && got.state !== Released) return `${name} had its PUBREC recorded and came back in state ${got.state}`;
    if (!m.released && got.state === Released) return `${name} came back Released without its PUBREC`;
  }
  for (const name of found.keys()) if (!run.messages.has(name) && name !== run.uncertain) return `${name} came back but was never committed`;
  // What came back is what the model now holds (an uncertain operation resolved by what was found).
  if (run.uncertain !== null) {
    const got = found.get(run.uncertain);
    const m = run.messages.get(run.uncertain);
    if (m === undefined && got !== undefined) run.messages.set(run.uncertain, { qos: got.qos, id: got.id, released: false, ended: false });
    else if (m !== undefined) {
      if (got === undefined) m.ended = true;
      else m.released = got.state === Released;
    }
    run.uncertain = null;
  }
  for (const [name, m] of run.messages) if (m.qos === 0 && !found.has(name)) m.ended = true;
  return null;
}

/**
 * A QoS 2 message held Released and a QoS 1 one held Sent all along (the collector copies them sector
 * after sector), then 60 messages, QoS 1 and 2, acks interleaved and some left open: the sectors go round.
 */
const script: Op[] = [{ publish: 2 }, { ack: 0 }, { publish: 1 }];
for (let k = 0; k < 60; k++) {
  script.push({ publish: k % 3 === 0 ? 2 : 1 });
  if (k % 2 === 1) script.push({ newest: true }, { newest: true }, { newest: true });
  if (k % 5 === 4) script.push({ newest: true });
}

/** After the reset: 8 messages, each acknowledged, enough to open and collect sectors again. */
const after: Op[] = [];
for (let k = 0; k < 8; k++) after.push({ publish: 1 }, { newest: true });

describe("store: a power cut at any byte of any write", () => {
  const whole = new SimFlash({ size: 256 * 8, blockSize: 256 });
  play(whole, script, { messages: new Map(), uncertain: null, next: 0, errors: [] });
  const total = whole.stats.bytesWritten;

  it(`loses no committed message and brings back no ended one, at each of the ${total} bytes written`, () => {
    expect(whole.stats.erases).toBeGreaterThan(8); // the sectors went round: collections were cut too
    for (let cut = 0; cut <= total; cut++) {
      const sim = new SimFlash({ size: 256 * 8, blockSize: 256, random: lcg(cut) });
      sim.cutAfter(cut);
      const run: Run = { messages: new Map(), uncertain: null, next: 0, errors: [] };
      play(sim, script, run);
      const problem = check(sim, run);
      if (problem !== null) expect.fail(`cut after ${cut} bytes: ${problem}`);
      // The store goes on after the reset: traffic that makes it collect again, then a clean reset.
      play(sim, after, run);
      const later = check(sim, run);
      if (later !== null) expect.fail(`cut after ${cut} bytes, then a run with no cut: ${later}`);
    }
  });

  it("holds over random runs with several power cuts and resets (fast-check)", () => {
    const op = fc.oneof(
      fc.record({ publish: fc.constantFrom<0 | 1 | 2>(0, 1, 2) }),
      fc.record({ ack: fc.nat(1000) }),
      fc.constant({ newest: true as const }),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.array(op, { maxLength: 40 }), fc.nat(4000)), { minLength: 1, maxLength: 6 }), fc.boolean(), fc.nat(), (legs, qos0, seed) => {
        const sim = new SimFlash({ size: 256 * 8, blockSize: 256, random: lcg(seed) });
        const run: Run = { messages: new Map(), uncertain: null, next: 0, errors: [] };
        for (const [ops, cut] of legs) {
          sim.cutAfter(cut);
          play(sim, ops, run, qos0);
          const problem = check(sim, run, qos0);
          if (problem !== null) throw new Error(problem);
        }
      }),
      { numRuns: 300 },
    );
  });
});
