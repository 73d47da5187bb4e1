import { describe, expect, it } from "vitest";
import { Outbox, RecordState } from "../../firmware/mqtt/outbox.js";
import { Session } from "../../firmware/mqtt/session.js";

describe("Session: packet identifiers (§2.3.1)", () => {
  it("counts up from 1, wraps 65,535 -> 1, and never hands out 0", () => {
    const session = new Session(64, 4, 4, 4);
    expect(session.nextPacketId()).toBe(1);
    for (let id = 2; id <= 65_535; id++) session.nextPacketId();
    expect(session.nextPacketId()).toBe(1);
  });

  it("skips ids still in use by a PUBLISH in flight or a pending SUBSCRIBE [MQTT-2.3.1-2]", () => {
    const session = new Session(64, 4, 4, 4);
    const outbox = session.outbox;
    outbox.add(outbox.reserve(4), 4, 2, 1); // id 2 in the outbox
    session.addPending(3); // id 3 awaiting SUBACK
    expect(session.nextPacketId()).toBe(1);
    expect(session.nextPacketId()).toBe(4);
    outbox.remove(outbox.find(2));
    session.removePending(3);
    for (let id = 5; id <= 65_535; id++) session.nextPacketId();
    expect(session.nextPacketId()).toBe(1);
    expect(session.nextPacketId()).toBe(2);
  });

  it("returns 0 when every id is in use", () => {
    const session = new Session(64, 1, 4, 65_535);
    for (let id = 1; id <= 65_535; id++) session.addPending(id);
    expect(session.nextPacketId()).toBe(0);
  });

  it("holds inbound QoS 2 ids until PUBREL, refusing more than its table", () => {
    const session = new Session(64, 4, 2, 4);
    expect(session.addInbound(7)).toBe(true);
    expect(session.addInbound(8)).toBe(true);
    expect(session.addInbound(9)).toBe(false);
    expect(session.hasInbound(7)).toBe(true);
    session.removeInbound(7);
    expect(session.hasInbound(7)).toBe(false);
    expect(session.addInbound(9)).toBe(true);
  });
});

describe("Outbox", () => {
  it("frees ring bytes only past the oldest records, in order, and keeps offsets right across compaction", () => {
    const outbox = new Outbox(16, 4);
    const a = outbox.add(outbox.reserve(6), 6, 1, 1);
    const b = outbox.add(outbox.reserve(6), 6, 2, 1);
    outbox.remove(b); // out of order: b's bytes stay until a ends
    expect(outbox.ring.readable()).toBe(12);
    outbox.remove(a);
    expect(outbox.ring.readable()).toBe(0);
    const c = outbox.add(outbox.reserve(10), 10, 3, 0);
    const d = outbox.add(outbox.reserve(4), 4, 4, 0);
    outbox.remove(c);
    outbox.ring.buffer.fill(0xdd, outbox.offset[d], outbox.offset[d] + 4);
    const e = outbox.reserve(10); // needs the start: d moves there, its offset with it
    expect(e).toBeGreaterThanOrEqual(0);
    expect(outbox.offset[d]).toBe(0);
    expect([...outbox.ring.buffer.subarray(0, 4)]).toEqual([0xdd, 0xdd, 0xdd, 0xdd]);
    expect(outbox.state[d]).toBe(RecordState.Queued);
  });

  it("refuses a record when its slots or bytes are used up", () => {
    const outbox = new Outbox(8, 2);
    outbox.add(outbox.reserve(4), 4, 1, 1);
    expect(outbox.fits(5)).toBe(false);
    outbox.add(outbox.reserve(4), 4, 2, 1);
    expect(outbox.fits(0)).toBe(false);
    expect(outbox.reserve(0)).toBe(-1);
  });
});
