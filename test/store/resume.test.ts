import { describe, expect, it } from "vitest";
import { ClientError, type ClientOptions } from "../../firmware/mqtt/index.js";
import type { StoreOptions } from "../../firmware/mqtt/store/index.js";
import type { SimFlash } from "../../host-sim/device/flash.js";
import { ack, connect, drain, flash, outboxOf, PUBACK, PUBCOMP, PUBREC, publishes, Queued, records, Released, rig, Sent } from "./fixture.js";

describe("store: a reset resumes the session [MQTT-4.4.0-1]", () => {
  it("a QoS 1 message published offline is on flash before publish() returns, and comes back after a reset", () => {
    const sim = flash();
    const a = rig(sim);
    expect(a.client.publish("t/a", "one", 1)).toBe(1);
    const b = rig(sim);
    expect(records(b.client)).toEqual([{ payload: "one", qos: 1, state: Sent, id: 1 }]);
    connect(b, true);
    expect(publishes(b)).toEqual([{ payload: "one", dup: true, id: 1 }]);
  });

  it("acknowledged messages (PUBACK, PUBCOMP) do not come back", () => {
    const sim = flash();
    const a = rig(sim);
    connect(a, false);
    const one = a.client.publish("t/a", "one", 1);
    const two = a.client.publish("t/a", "two", 2);
    drain(a);
    ack(a, PUBACK, one);
    ack(a, PUBREC, two);
    ack(a, PUBCOMP, two);
    expect(rig(sim).client.queuedCount()).toBe(0);
  });

  it("a QoS 2 message past PUBREC resumes as Released: PUBREL goes again, never its PUBLISH [MQTT-4.3.3-1]", () => {
    const sim = flash();
    const a = rig(sim);
    connect(a, false);
    const id = a.client.publish("t/a", "two", 2);
    drain(a);
    ack(a, PUBREC, id);
    const b = rig(sim);
    expect(records(b.client)).toEqual([{ payload: "two", qos: 2, state: Released, id }]);
    connect(b, true);
    expect(publishes(b)).toEqual([]);
    expect(b.sent.map((p) => [...p])).toContainEqual([0x62, 2, 0, id]);
    ack(b, PUBCOMP, id);
    expect(rig(sim).client.queuedCount()).toBe(0);
  });

  it("packet ids go on after the newest message loaded back, never reusing one in use [MQTT-2.3.1-2]", () => {
    const sim = flash();
    const a = rig(sim);
    for (let k = 0; k < 3; k++) a.client.publish("t/a", "m" + k, 1);
    const b = rig(sim);
    expect(b.client.publish("t/a", "m3", 1)).toBe(4);
  });

  it("only as many as the in-flight window resume as Sent (DUP); the rest stay Queued", () => {
    const sim = flash();
    const a = rig(sim, { inflight: 2 });
    for (let k = 0; k < 4; k++) a.client.publish("t/a", "m" + k, 1);
    const b = rig(sim, { inflight: 2 });
    expect(records(b.client).map((r) => r.state)).toEqual([Sent, Sent, Queued, Queued]);
    connect(b, true);
    expect(publishes(b).map((p) => p.dup)).toEqual([true, true]);
  });

  it("released messages take their places in the window first (their PUBREL is owed): an older QoS 1 one waits Queued", () => {
    const sim = flash();
    const a = rig(sim, { inflight: 3 });
    connect(a, false);
    a.client.publish("t/a", "one", 1);
    const two = a.client.publish("t/a", "two", 2);
    const three = a.client.publish("t/a", "three", 2);
    drain(a);
    ack(a, PUBREC, two);
    ack(a, PUBREC, three);
    const b = rig(sim, { inflight: 2 });
    expect(records(b.client).map((r) => [r.payload, r.state])).toEqual([["one", Queued], ["two", Released], ["three", Released]]);
  });

  /**
   * "one" acknowledged, its End record refused by the flash; "two" and "three" (QoS 2) in flight, the
   * broker holding their ids. After a restart "one" is back and takes a place in the window: "three"
   * comes back Queued, and held.
   */
  function staleBeforeInflight(extra: Partial<StoreOptions> = {}): { sim: SimFlash; options: Partial<ClientOptions> } {
    const sim = flash();
    const options = { inflight: 2, queueSlots: 4, queuePolicy: "drop-oldest" as const };
    const a = rig(sim, options, extra);
    connect(a, true);
    const one = a.client.publish("t/a", "one", 1);
    a.client.publish("t/b", "two", 2);
    drain(a);
    sim.failWrites(0, 1); // the End record of "one"
    ack(a, PUBACK, one);
    a.client.publish("t/c", "three", 2);
    drain(a);
    return { sim, options };
  }

  it("a QoS 2 message that went, pushed past the window by one whose End record the flash refused, is held: drop-oldest drops another", () => {
    const { sim, options } = staleBeforeInflight();
    const dropped: number[] = [];
    const b = rig(sim, { ...options, onError: (code) => dropped.push(code) });
    expect(records(b.client).map((r) => [r.payload, r.state])).toEqual([["one", Sent], ["two", Sent], ["three", Queued]]);
    b.client.publish("t/d", "four", 1);
    expect(b.client.publish("t/d", "five", 1)).toBeGreaterThan(0); // full: drop-oldest may drop only what never went
    expect(records(b.client).map((r) => r.payload)).toEqual(["one", "two", "three", "five"]);
    expect(dropped).toEqual([ClientError.OldestDropped]);
    expect(b.client.publish("t/d", "six", 1)).toBeGreaterThan(0);
    expect(records(b.client).map((r) => r.payload)).toEqual(["one", "two", "three", "six"]);
    b.client.publish("t/d", "seven", 2);
    connect(b, true); // it goes when the window lets it: its id is the one the broker holds
    ack(b, PUBACK, records(b.client)[0].id);
    expect(publishes(b).map((p) => p.payload)).toEqual(["one", "two", "three"]);
  });

  it("with only held messages left to drop, drop-oldest refuses (QueueFull) and drops nothing", () => {
    const { sim, options } = staleBeforeInflight();
    const b = rig(sim, { ...options, queueSlots: 3 });
    expect(records(b.client).map((r) => r.payload)).toEqual(["one", "two", "three"]);
    expect(b.client.publish("t/d", "four", 1)).toBe(ClientError.QueueFull);
    expect(records(b.client).map((r) => r.payload)).toEqual(["one", "two", "three"]);
  });

  it("latestPerTopic does not replace a held message", () => {
    const { sim, options } = staleBeforeInflight({ latestPerTopic: true });
    const b = rig(sim, options, { latestPerTopic: true });
    b.client.publish("t/c", "three again", 2);
    expect(records(b.client).map((r) => r.payload)).toEqual(["one", "two", "three", "three again"]);
  });

  it("if the broker lost the session, what it never confirmed goes as new (no DUP) and a released QoS 2 is given up", () => {
    const sim = flash();
    const a = rig(sim);
    connect(a, false);
    const one = a.client.publish("t/a", "one", 1);
    const two = a.client.publish("t/a", "two", 2);
    drain(a);
    ack(a, PUBREC, two);
    const unconfirmed: number[] = [];
    const b = rig(sim, { onUnconfirmed: (id) => unconfirmed.push(id) });
    connect(b, false);
    expect(publishes(b)).toEqual([{ payload: "one", dup: false, id: one }]);
    expect(unconfirmed).toEqual([two]);
    expect(records(rig(sim).client).map((r) => r.payload)).toEqual(["one"]);
  });

  it("QoS 0 is stored only when the store says qos0", () => {
    const sim = flash();
    rig(sim).client.publish("t/a", "lost", 0);
    expect(rig(sim).client.queuedCount()).toBe(0);
    const sim2 = flash();
    rig(sim2, {}, { qos0: true }).client.publish("t/a", "kept", 0);
    const b = rig(sim2, {}, { qos0: true });
    expect(records(b.client)).toEqual([{ payload: "kept", qos: 0, state: Queued, id: 0 }]);
    connect(b, true);
    drain(b);
    expect(rig(sim2, {}, { qos0: true }).client.queuedCount()).toBe(0); // written: ended
  });

  it("the collector keeps a long-unacknowledged message across many sectors of traffic", () => {
    const sim = flash();
    const a = rig(sim);
    connect(a, false);
    const old = a.client.publish("t/old", "old", 2);
    drain(a);
    ack(a, PUBREC, old);
    for (let k = 0; k < 200; k++) {
      const id = a.client.publish("t/a", "m" + k, 1);
      drain(a);
      ack(a, PUBACK, id);
    }
    expect(a.store.log.stats.collections).toBeGreaterThan(8);
    expect(a.store.stats.failed).toBe(0);
    expect(records(rig(sim).client)).toEqual([{ payload: "old", qos: 2, state: Released, id: old }]);
    expect(outboxOf(a.client).live).toBe(1);
  });
});

describe("store: policies and expiry", () => {
  it("latestPerTopic: a publish replaces the unsent message on its topic (on flash too); sent ones stay", () => {
    const sim = flash();
    const a = rig(sim, {}, { latestPerTopic: true });
    a.client.publish("t/temp", "20", 1);
    a.client.publish("t/hum", "40", 1);
    a.client.publish("t/temp", "21", 1);
    expect(records(a.client).map((r) => r.payload)).toEqual(["40", "21"]);
    expect(a.store.stats.superseded).toBe(1);
    expect(records(rig(sim, {}, { latestPerTopic: true }).client).map((r) => r.payload)).toEqual(["40", "21"]);
  });

  it("5.0 Message Expiry: a message that ran out by the wall clock is not loaded back (and is ended)", () => {
    const sim = flash();
    let wall = 1_700_000_000_000;
    const a = rig(sim, { protocolVersion: 5 }, { wallClock: () => wall });
    a.client.publish("t/a", "short", 1, false, 0, -1, { messageExpiryInterval: 10 });
    a.client.publish("t/a", "long", 1, false, 0, -1, { messageExpiryInterval: 1000 });
    wall += 60_000;
    const b = rig(sim, { protocolVersion: 5 }, { wallClock: () => wall });
    // (records() shows a 5.0 payload with its property block before it)
    expect(records(b.client).map((r) => r.payload.endsWith("long"))).toEqual([true]);
    expect(b.store.stats.expired).toBe(1);
    expect(records(rig(sim, { protocolVersion: 5 }, { wallClock: () => wall }).client).map((r) => r.payload.endsWith("long"))).toEqual([true]);
  });
});

describe("store: options", () => {
  it("refuses topicAliases with a store, and a flash too small for the outbox, with words", () => {
    expect(() => rig(flash(), { protocolVersion: 5, topicAliases: 4 })).toThrow(/store and topicAliases cannot be used together/);
    expect(() => rig(flash({ size: 256 * 3, blockSize: 256 }))).toThrow(/give it \d+ sectors/);
  });
});
