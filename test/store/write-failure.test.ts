// The flash refuses one write, at each write of a run that goes round the sectors (so that the refused
// write falls in Publish, Release and End records, sector headers, collections and retires), having
// programmed none, part or all of it; the power stays on. Then: what publish() accepted is in the
// client and, after a restart, on flash (same id; Released if its PUBREC was recorded); what publish()
// refused is nowhere; what was acknowledged with its End recorded never comes back; the client's books
// balance; the store goes on (a run with no fault after the restart, then a second restart, checked the same).
import { describe, expect, it } from "vitest";
import { ClientError } from "../../firmware/mqtt/index.js";
import { StoreError } from "../../firmware/mqtt/store/index.js";
import { SimFlash } from "../../host-sim/device/flash.js";
import { ack, connect, drain, PUBACK, PUBCOMP, PUBREC, records, Released, rig, Sent, type Rig } from "./fixture.js";

type Op = { publish: 1 | 2 } | { ack: "oldest" | "newest" };

interface Message {
  qos: number;
  id: number;
  /** PUBREC handled with its Release record written. */
  released: boolean;
  /** Acknowledged (PUBACK/PUBCOMP handled); `recorded`: with its End record on flash for certain. */
  acked: boolean;
  recorded: boolean;
}

interface World {
  messages: Map<string, Message>;
  next: number;
  storeErrors: number[];
  refused: number;
}

const options = { transmitBufferSize: 512, queueSlots: 8, inflight: 4 };
const SIZE = { size: 256 * 8, blockSize: 256 };

/** Two messages held open all along (one QoS 2 released, one QoS 1 sent): the collector copies them round the ring. */
const script: Op[] = [{ publish: 2 }, { ack: "oldest" }, { publish: 1 }];
for (let k = 0; k < 40; k++) {
  script.push({ publish: k % 3 === 0 ? 2 : 1 });
  if (k % 2 === 1) script.push({ ack: "newest" }, { ack: "newest" }, { ack: "newest" });
}
const after: Op[] = [];
for (let k = 0; k < 10; k++) after.push({ publish: 1 }, { ack: "newest" }, { ack: "newest" });

/** The books balance: every message published (or loaded back at the start) is refused, done, dropped, unconfirmed or still queued. */
function books(r: Rig): string | null {
  const s = r.client.stats;
  const sum = s.refused + s.completed + s.dropped + s.unconfirmed + r.client.queuedCount();
  const loaded = r.store.stats.recovered;
  return s.published + loaded === sum ? null : `published ${s.published} and loaded ${loaded} but refused + completed + dropped + unconfirmed + queued = ${sum}`;
}

/** Plays ops; every refusal must be StoreFailed with a store error said. Returns a problem, or null. */
function play(r: Rig, ops: readonly Op[], w: World): string | null {
  for (const op of ops) {
    const errors = w.storeErrors.length;
    if ("publish" in op) {
      const name = "m" + w.next++;
      const id = r.client.publish("t/" + (w.next % 3), name, op.publish);
      drain(r);
      if (id < 0) {
        if (id !== ClientError.StoreFailed) return `${name}: publish() returned ${id}`;
        if (w.storeErrors.length === errors) return `${name}: refused with no store error said`;
        w.refused++;
      } else w.messages.set(name, { qos: op.publish, id, released: false, acked: false, recorded: false });
      continue;
    }
    // The broker answers the oldest or newest message in flight (m0 and m1 are held open but for the first ack).
    const flying = records(r.client).filter((x) => x.state === Sent || x.state === Released);
    const held = w.next > 3 ? ["m0", "m1"] : [];
    const open = flying.filter((x) => !held.includes(x.payload));
    if (open.length === 0) continue;
    const x = op.ack === "oldest" ? open[0] : open[open.length - 1];
    const m = w.messages.get(x.payload);
    if (m === undefined) return `${x.payload} is in flight but publish() refused it`;
    if (x.qos === 1 || x.state === Released) {
      ack(r, x.qos === 1 ? PUBACK : PUBCOMP, x.id);
      m.acked = true;
      m.recorded = w.storeErrors.length === errors;
    } else {
      ack(r, PUBREC, x.id);
      const now = records(r.client).find((y) => y.payload === x.payload);
      if (w.storeErrors.length === errors) {
        if (now?.state !== Released) return `${x.payload}: PUBREC recorded but the message is not Released`;
        m.released = true;
      } else if (now?.state !== Sent) return `${x.payload}: PUBREC not recorded, yet the message is ${now?.state} (a PUBREL went?)`;
    }
  }
  return books(r);
}

/** What the client holds now, and what a restart over the flash loads: checked against the world. */
function check(r: Rig, sim: SimFlash, w: World): string | null {
  const live = new Set(records(r.client).map((x) => x.payload));
  for (const [name, m] of w.messages) if (!m.acked !== live.has(name)) return `in RAM: ${name} ${m.acked ? "acknowledged but still there" : "accepted but gone"}`;
  const loaded = rig(sim, options);
  const found = new Map(records(loaded.client).map((x) => [x.payload, x]));
  for (const name of found.keys()) {
    const m = w.messages.get(name);
    if (m === undefined) return `after a restart: ${name} is back, but publish() refused it`;
    if (m.acked && m.recorded) return `after a restart: ${name} is back, but its End was recorded`;
  }
  for (const [name, m] of w.messages) {
    const got = found.get(name);
    if (m.acked) {
      if (got === undefined) w.messages.delete(name);
      else {
        m.acked = false; // its End did not reach the flash: it is live again, as the flash has it
        m.released = got.state === Released;
      }
      continue;
    }
    if (got === undefined) return `after a restart: ${name} (QoS ${m.qos}) was accepted and is lost`;
    if (got.id !== m.id) return `after a restart: ${name} has id ${got.id}, not ${m.id}`;
    if (m.released !== (got.state === Released)) return `after a restart: ${name} is ${got.state}, released ${m.released}`;
  }
  return null;
}

describe("store: the flash refuses a write (the power stays on)", () => {
  const probe = new SimFlash(SIZE);
  const w0: World = { messages: new Map(), next: 0, storeErrors: [], refused: 0 };
  const r0 = rig(probe, options, { onError: (code) => w0.storeErrors.push(code) });
  connect(r0, true);
  const probeProblem = play(r0, script, w0);
  const writes = probe.stats.writes;

  for (const [what, programmed] of [
    ["none", 0],
    ["part", 5],
    ["all", Infinity],
  ] as const) {
    it(`at each of the ${writes} writes of a run, having programmed ${what} of it: nothing accepted is lost, nothing refused or ended comes back`, () => {
      expect(probeProblem).toBeNull();
      expect(w0.storeErrors).toEqual([]);
      expect(probe.stats.erases).toBeGreaterThan(SIZE.size / SIZE.blockSize); // the ring went round: collections and retires were hit
      let refusals = 0;
      let stops = 0;
      for (let k = 0; k < writes; k++) {
        const sim = new SimFlash(SIZE);
        sim.failWrites(k, 1, programmed);
        const w: World = { messages: new Map(), next: 0, storeErrors: [], refused: 0 };
        const r = rig(sim, options, { onError: (code) => w.storeErrors.push(code) });
        connect(r, true);
        const problem = play(r, script, w) ?? check(r, sim, w);
        if (problem !== null) expect.fail(`write ${k} refused: ${problem}`);
        if (w.storeErrors.some((code) => code !== StoreError.WriteFailed)) expect.fail(`write ${k} refused: store errors ${w.storeErrors.join(", ")}`);
        refusals += w.refused;
        if ((r.store.log as unknown as { stopped: boolean }).stopped) stops++; // a refused retire stops the log until the restart
        // After the restart: traffic with no fault, then a second restart.
        const b = rig(sim, options, { onError: (code) => w.storeErrors.push(code) });
        connect(b, true);
        const errors = w.storeErrors.length;
        const later = play(b, after, w) ?? check(b, sim, w);
        if (later !== null) expect.fail(`write ${k} refused, then a run with no fault: ${later}`);
        if (w.storeErrors.length !== errors) expect.fail(`write ${k} refused, then a run with no fault: store errors ${w.storeErrors.slice(errors).join(", ")}`);
      }
      expect(refusals).toBeGreaterThan(0);
      expect(stops).toBeGreaterThan(0);
    });
  }
});
