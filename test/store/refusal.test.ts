// What the app is told when the store cannot keep a message: publish() returns ClientError.StoreFailed
// (and the store's onError why) and nothing of the message stays, in RAM or on flash, whatever part of
// its record reached the flash; a refused erase or a write refused in the middle of a collection is
// undone and the store goes on; a QoS 2 message whose PUBREC could not be recorded sends no PUBREL.
// And latestPerTopic's replacements are reported as the queue policies report a drop.
import { describe, expect, it } from "vitest";
import { ClientError, type ClientOptions, type MqttClient } from "../../firmware/mqtt/index.js";
import { StoreError, type StoreOptions } from "../../firmware/mqtt/store/index.js";
import type { SimFlash } from "../../host-sim/device/flash.js";
import { ack, connect, drain, flash, PUBREC, publishes, Queued, records, Released, rig, Sent, type Rig } from "./fixture.js";

/** The client's books balance: every publish() is refused, completed, dropped, unconfirmed or still queued. */
function balanced(client: MqttClient): void {
  const s = client.stats;
  expect(s.published).toBe(s.refused + s.completed + s.dropped + s.unconfirmed + client.queuedCount());
}

/** A rig that keeps what the client's and the store's onError said. */
function told(sim: SimFlash, store: Partial<StoreOptions> = {}, options: Partial<ClientOptions> = {}): { r: Rig; client: number[]; store: number[] } {
  const errors = { client: [] as number[], store: [] as number[] };
  const r = rig(sim, { onError: (code) => errors.client.push(code), ...options }, { onError: (code) => errors.store.push(code), ...store });
  return { r, ...errors };
}

/** The link drops and comes back a minute later (past any reconnect delay), the broker keeping the session. */
function reconnect(r: Rig): void {
  r.client.closed(r.now);
  r.now += 60_000;
  r.client.poll(r.now);
  connect(r, true);
}

describe("store: publish() succeeds only with the message on flash", () => {
  for (const [what, programmed] of [
    ["none of its record", 0],
    ["part of its record (torn)", 7],
    ["all of its record (the chip said no after writing)", Infinity],
  ] as const) {
    it(`a Publish record the flash refuses, having written ${what}: StoreFailed, nothing kept, now or after a restart`, () => {
      const sim = flash();
      const a = told(sim);
      const one = a.r.client.publish("t/a", "one", 1);
      expect(one).toBe(1);
      sim.failWrites(0, 1, programmed);
      expect(a.r.client.publish("t/a", "two", 2)).toBe(ClientError.StoreFailed);
      expect(a.store).toEqual([StoreError.WriteFailed]);
      expect(a.client).toEqual([]); // the return value says it; onError is for what happens beside a call
      expect(records(a.r.client).map((x) => x.payload)).toEqual(["one"]);
      expect(a.r.client.stats.refused).toBe(1);
      balanced(a.r.client);
      // The flash takes writes again: the store goes on (a new sector after a torn record).
      const three = a.r.client.publish("t/a", "three", 1);
      expect(three).toBeGreaterThan(one);
      expect(records(a.r.client).map((x) => x.payload)).toEqual(["one", "three"]);
      const b = rig(sim);
      expect(records(b.client)).toEqual([
        { payload: "one", qos: 1, state: Sent, id: one },
        { payload: "three", qos: 1, state: Sent, id: three },
      ]);
      connect(b, true);
      expect(publishes(b)).toEqual([
        { payload: "one", dup: true, id: one },
        { payload: "three", dup: true, id: three },
      ]);
    });
  }

  it("a flash that refuses every write: QoS 1 and 2 are refused, QoS 0 (not stored) is taken; the ids refused are free", () => {
    const sim = flash();
    const a = told(sim);
    sim.failWrites(0, Infinity);
    expect(a.r.client.publish("t/a", "q1", 1)).toBe(ClientError.StoreFailed);
    expect(a.r.client.publish("t/a", "q2", 2)).toBe(ClientError.StoreFailed);
    expect(a.r.client.publish("t/a", "q0", 0)).toBe(0);
    expect(records(a.r.client).map((x) => x.payload)).toEqual(["q0"]);
    expect(a.store.every((code) => code === StoreError.WriteFailed)).toBe(true);
    balanced(a.r.client);
    sim.failWrites(0, 0);
    expect(a.r.client.publish("t/a", "later", 1)).toBeGreaterThan(0);
  });

  it("with qos0, a QoS 0 message is refused too when the flash will not take it", () => {
    const sim = flash();
    const a = told(sim, { qos0: true });
    sim.failWrites(0, 1);
    expect(a.r.client.publish("t/a", "q0", 0)).toBe(ClientError.StoreFailed);
    expect(a.r.client.queuedCount()).toBe(0);
  });

  it("a message larger than a sector allows is refused (TooLarge), not kept in RAM only", () => {
    const sim = flash(); // 256-byte sectors: a record of at most 240 bytes
    const a = told(sim);
    expect(a.r.client.publish("t/a", "x".repeat(300), 1)).toBe(ClientError.StoreFailed);
    expect(a.store).toEqual([StoreError.TooLarge]);
    expect(a.r.client.queuedCount()).toBe(0);
    balanced(a.r.client);
  });

  it("an erase the flash refuses when a sector opens: that message is refused, the next one opens it", () => {
    const sim = flash();
    const a = told(sim);
    sim.failErases(1);
    expect(a.r.client.publish("t/a", "one", 1)).toBe(ClientError.StoreFailed);
    const two = a.r.client.publish("t/a", "two", 1);
    expect(two).toBeGreaterThan(0);
    expect(records(rig(sim).client).map((x) => [x.payload, x.id])).toEqual([["two", two]]);
  });

  it("drop-oldest: what was dropped to make room stays dropped (and reported) when the new message is refused", () => {
    const sim = flash();
    const a = told(sim, {}, { queueSlots: 2, queuePolicy: "drop-oldest" });
    const c = a.r.client;
    c.publish("t/a", "one", 1);
    c.publish("t/a", "two", 1);
    sim.failWrites(1, 1); // the End record of the one dropped goes; the new message's Publish record is refused
    expect(c.publish("t/a", "three", 1)).toBe(ClientError.StoreFailed);
    expect(a.client).toEqual([ClientError.OldestDropped]);
    expect(records(c).map((x) => x.payload)).toEqual(["two"]);
    expect(c.stats.dropped).toBe(1);
    balanced(c);
  });

  it("a QoS 2 PUBREC the flash cannot record: no PUBREL (the message stays Sent); after a reconnect its PUBLISH goes again with DUP, then PUBREL", () => {
    const sim = flash();
    const a = told(sim);
    connect(a.r, true);
    const id = a.r.client.publish("t/a", "two", 2);
    drain(a.r);
    sim.failWrites(0, 1);
    a.r.sent.length = 0;
    ack(a.r, PUBREC, id);
    expect(a.store).toEqual([StoreError.WriteFailed]);
    expect(a.r.sent).toEqual([]); // no PUBREL: the broker keeps the id and takes a DUP PUBLISH as the same message [MQTT-4.3.3-2]
    expect(records(a.r.client)).toEqual([{ payload: "two", qos: 2, state: Sent, id }]);
    reconnect(a.r);
    expect(publishes(a.r)).toEqual([{ payload: "two", dup: true, id }]);
    a.r.sent.length = 0;
    ack(a.r, PUBREC, id);
    expect(a.r.sent.map((p) => [...p])).toEqual([[0x62, 2, 0, id]]);
    expect(records(rig(sim).client)).toEqual([{ payload: "two", qos: 2, state: Released, id }]);
  });
});

describe("store: latestPerTopic reports a replaced message as a drop", () => {
  it("onError(MessageReplaced) once per replaced message, stats.dropped counts it, publish() returns the new id", () => {
    const sim = flash();
    const a = told(sim, { latestPerTopic: true });
    const first = a.r.client.publish("t/temp", "20", 1);
    a.r.client.publish("t/hum", "40", 1);
    const third = a.r.client.publish("t/temp", "21", 1);
    expect(third).toBeGreaterThan(first);
    expect(a.client).toEqual([ClientError.MessageReplaced]);
    expect(a.r.client.stats.dropped).toBe(1);
    expect(a.r.store.stats.superseded).toBe(1);
    expect(records(a.r.client).map((x) => x.payload)).toEqual(["40", "21"]);
    balanced(a.r.client);
    a.r.client.publish("t/temp", "22", 2);
    expect(a.client).toEqual([ClientError.MessageReplaced, ClientError.MessageReplaced]);
    expect(a.r.client.stats.dropped).toBe(2);
    expect(records(rig(sim, {}, { latestPerTopic: true }).client).map((x) => x.payload)).toEqual(["40", "22"]);
  });

  it("the report comes once publish() has done its work: a handler that publishes again finds the client whole", () => {
    const sim = flash();
    let r: Rig | null = null;
    const seen: string[][] = [];
    r = rig(
      sim,
      {
        onError: (code) => {
          if (code !== ClientError.MessageReplaced || r === null) return;
          seen.push(records(r.client).map((x) => x.payload));
          r.client.publish("t/log", "replaced", 1);
        },
      },
      { latestPerTopic: true },
    );
    r.client.publish("t/temp", "20", 1);
    r.client.publish("t/temp", "21", 1);
    expect(seen).toEqual([["21"]]);
    expect(records(r.client).map((x) => x.payload)).toEqual(["21", "replaced"]);
    balanced(r.client);
  });

  it("a message sent (in flight) is not replaced; nor is one on flash by a QoS 0 one not stored", () => {
    const sim = flash();
    const a = told(sim, { latestPerTopic: true });
    connect(a.r, true);
    a.r.client.publish("t/temp", "20", 1);
    drain(a.r); // sent: in flight
    a.r.client.publish("t/temp", "21", 1);
    a.r.client.closed(a.r.now); // offline: "21" stays queued
    a.r.client.publish("t/temp", "q0", 0);
    expect(records(a.r.client).map((x) => [x.payload, x.state])).toEqual([
      ["20", Sent],
      ["21", Queued],
      ["q0", Queued],
    ]);
    expect(a.client).toEqual([]);
  });

  it("a replacement whose new message the flash refuses replaces nothing", () => {
    const sim = flash();
    const a = told(sim, { latestPerTopic: true });
    a.r.client.publish("t/temp", "20", 1);
    sim.failWrites(0, 1);
    expect(a.r.client.publish("t/temp", "21", 1)).toBe(ClientError.StoreFailed);
    expect(records(a.r.client).map((x) => x.payload)).toEqual(["20"]);
    expect(a.client).toEqual([]);
    expect(records(rig(sim, {}, { latestPerTopic: true }).client).map((x) => x.payload)).toEqual(["20"]);
  });
});
