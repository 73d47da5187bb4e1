import { describe, expect, it } from "vitest";
import { IdSet } from "../../firmware/mqtt/client/ids.js";
import { NONE, Outbox, RecordState } from "../../firmware/mqtt/client/outbox.js";
import { PacketIds, type IdHolder } from "../../firmware/mqtt/client/session.js";

/** Requests holding some ids, as the subscriptions' outstanding requests do. */
function holder(ids: number[]): IdHolder {
  return { holds: (id) => ids.includes(id) };
}

describe("PacketIds (§2.3.1)", () => {
  it("counts up from 1, wraps 65,535 -> 1, and never hands out 0", () => {
    const ids = new PacketIds(new Outbox(64, 4), holder([]));
    expect(ids.next()).toBe(1);
    for (let id = 2; id <= 65_535; id++) ids.next();
    expect(ids.next()).toBe(1);
  });

  it("skips ids still in use by a PUBLISH in the outbox or a request awaiting its ack [MQTT-2.3.1-2]", () => {
    const outbox = new Outbox(64, 4);
    const pending = [3];
    const ids = new PacketIds(outbox, holder(pending));
    outbox.reserve(4);
    outbox.add(4, 2, 1); // id 2 in the outbox
    expect(ids.next()).toBe(1);
    expect(ids.next()).toBe(4);
    outbox.remove(outbox.find(2));
    pending.length = 0;
    for (let id = 5; id <= 65_535; id++) ids.next();
    expect(ids.next()).toBe(1);
    expect(ids.next()).toBe(2);
  });

  it("returns 0 when every id is in use", () => {
    const ids = new PacketIds(new Outbox(64, 1), { holds: () => true });
    expect(ids.next()).toBe(0);
  });
});

describe("IdSet", () => {
  it("holds any number of the 65,535 ids, each once", () => {
    const set = new IdSet();
    for (let id = 1; id <= 65_535; id++) expect(set.add(id)).toBe(true);
    expect(set.count).toBe(65_535);
    expect(set.add(7)).toBe(false);
    set.delete(7);
    expect(set.has(7)).toBe(false);
    expect(set.has(65_535)).toBe(true);
    set.clear();
    expect(set.count).toBe(0);
    expect(set.has(1)).toBe(false);
  });
});

describe("Outbox: capacity by live records and live bytes", () => {
  it("takes a message while one unfinished message holds the oldest place (16 slots, 1 live)", () => {
    const outbox = new Outbox(64, 16);
    for (let k = 0; k < 16; k++) {
      outbox.reserve(4);
      outbox.add(4, k + 1, 2);
    }
    // All but the oldest end, out of order: the oldest (a slow QoS 2) stays.
    for (let k = 16; k >= 2; k--) outbox.remove(outbox.find(k));
    expect(outbox.live).toBe(1);
    for (let k = 0; k < 15; k++) {
      expect(outbox.fits(4)).toBe(true);
      outbox.reserve(4);
      outbox.add(4, 100 + k, 1);
    }
    expect(outbox.fits(4)).toBe(false);
  });

  it("closes the gaps of ended records when the end is reached, moving live bytes and offsets together", () => {
    const outbox = new Outbox(16, 4);
    outbox.reserve(6);
    const a = outbox.add(6, 1, 1);
    outbox.reserve(6);
    const b = outbox.add(6, 2, 1);
    outbox.bytes.fill(0xbb, outbox.offset[b], outbox.offset[b] + 6);
    outbox.remove(a); // the oldest ends first: its bytes are a gap before b
    expect(outbox.fits(10)).toBe(true);
    const at = outbox.reserve(10); // needs the gap: b moves to the start
    expect(outbox.offset[b]).toBe(0);
    expect([...outbox.bytes.subarray(0, 6)]).toEqual([0xbb, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb]);
    expect(at).toBe(6);
    expect(outbox.state[b]).toBe(RecordState.Queued);
  });

  it("keeps age order and counts across state changes", () => {
    const outbox = new Outbox(64, 4);
    const ids = [1, 2, 3].map((id) => {
      outbox.reserve(8);
      return outbox.add(8, id, 1);
    });
    outbox.setState(ids[0], RecordState.Sending);
    outbox.setState(ids[0], RecordState.Sent);
    expect(outbox.inflight).toBe(1);
    expect(outbox.queued).toBe(2);
    expect(outbox.queuedBytes).toBe(16);
    expect(outbox.oldestQueued()).toBe(ids[1]);
    outbox.remove(ids[1]);
    expect(outbox.next[ids[0]]).toBe(ids[2]);
    expect(outbox.next[ids[2]]).toBe(NONE);
    expect(outbox.oldestPacketId()).toBe(1);
  });
});
