// How the client hands its output to a transport: runs of publishes in one span, and what a cut-off run
// leaves behind.
import { describe, expect, it } from "vitest";
import { MqttClient } from "../../firmware/mqtt/index.js";
import { ClientError } from "../../firmware/mqtt/index.js";

const CONNACK = Uint8Array.of(0x20, 2, 0, 0);
const CONNACK_SESSION = Uint8Array.of(0x20, 2, 1, 0);

function connected(clean = true): MqttClient {
  const client = new MqttClient({ clientId: "c1", clean, random: () => 0.5 });
  client.start(0);
  client.shouldOpen(0);
  client.opened(0);
  client.written(client.outputLength(), 0); // CONNECT
  client.receive(clean ? CONNACK : CONNACK_SESSION, 0, 4, 0);
  return client;
}

function take(client: MqttClient, max = Infinity): number[] {
  const length = Math.min(client.outputLength(), max);
  const bytes = [...client.outputBuffer().subarray(client.outputOffset(), client.outputOffset() + length)];
  client.written(length, 0);
  return bytes;
}

describe("client output", () => {
  it("hands a run of queued publishes to the transport as one span", () => {
    const client = connected();
    for (const text of ["a", "b", "c"]) client.publish("t", text, 1);
    expect(client.outputLength()).toBe(3 * 8);
    expect(take(client)).toEqual([0x32, 6, 0, 1, 0x74, 0, 1, 0x61, 0x32, 6, 0, 1, 0x74, 0, 2, 0x62, 0x32, 6, 0, 1, 0x74, 0, 3, 0x63]);
    expect(client.stats.sent).toBe(3);
    expect(client.outputLength()).toBe(0);
  });

  it("stops a run at the in-flight window", () => {
    const client = new MqttClient({ clientId: "c1", inflight: 2 });
    client.start(0);
    client.shouldOpen(0);
    client.opened(0);
    take(client);
    client.receive(CONNACK, 0, 4, 0);
    for (const text of ["a", "b", "c"]) client.publish("t", text, 1);
    expect(client.outputLength()).toBe(2 * 8);
  });

  it("after a drop mid-run: the cut-off publish goes again with DUP, the unstarted ones as first sends", () => {
    const client = connected(false);
    for (const text of ["a", "b", "c"]) client.publish("t", text, 1);
    expect(take(client, 4)).toEqual([0x32, 6, 0, 1]); // half of the first
    client.closed(0);
    expect(client.shouldOpen(1000)).toBe(true);
    client.opened(1000);
    take(client); // CONNECT
    client.receive(CONNACK_SESSION, 0, 4, 1000);
    expect(take(client)).toEqual([0x3a, 6, 0, 1, 0x74, 0, 1, 0x61]); // resent first, DUP
    expect(take(client)).toEqual([0x32, 6, 0, 1, 0x74, 0, 2, 0x62, 0x32, 6, 0, 1, 0x74, 0, 3, 0x63]);
    expect(client.stats.resent).toBe(1);
    expect(client.stats.sent).toBe(2); // the cut-off one was never written whole: its resend counts as resent
  });

  it("keeps writing the right bytes when a publish moves the outbox's bytes in mid-run", () => {
    const client = new MqttClient({ clientId: "c1", transmitBufferSize: 32 });
    client.start(0);
    client.shouldOpen(0);
    client.opened(0);
    take(client);
    client.receive(CONNACK, 0, 4, 0);
    client.publish("t", "a", 1); // 8 bytes at 0
    client.publish("t", "b", 1); // 8 at 8
    expect(take(client)).toHaveLength(16);
    client.publish("t", "c", 0); // 6 at 16
    client.publish("t", "d", 0); // 6 at 22
    expect(take(client, 3)).toEqual([0x30, 4, 0]); // the run c, d: 3 of its 12 bytes written (d not begun: not started)
    client.receive(Uint8Array.of(0x40, 2, 0, 1, 0x40, 2, 0, 2), 0, 8, 0); // a and b acked: 16 bytes free at the start
    client.publish("t", "eeeeee", 0); // 10 bytes: only fits once c and d move to the start
    expect(take(client)).toEqual([1, 0x74, 0x63]); // the rest of c, from where it moved
    expect(take(client)).toEqual([0x30, 4, 0, 1, 0x74, 0x64, 0x30, 9, 0, 1, 0x74, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65]); // d and e, one run
  });

  it("takes a topic handle made by another copy of the module, and refuses anything else that is not a string", () => {
    const client = connected();
    const foreign = { bytes: Uint8Array.of(0x74) }; // what a TopicHandle of a second module instance looks like here
    expect(client.publish(foreign as never, "a", 0)).toBe(0);
    expect(take(client)).toEqual([0x30, 4, 0, 1, 0x74, 0x61]); // topic "t", not "[object Object]"
    expect(client.publish({ bytes: Uint8Array.of(0x23) } as never, "a", 0)).toBe(ClientError.InvalidTopic); // '#'
    expect(client.publish(42 as never, "a", 0)).toBe(ClientError.InvalidTopic);
    expect(client.publish({} as never, "a", 0)).toBe(ClientError.InvalidTopic);
    expect(client.publish("t", 42 as never, 0)).toBe(ClientError.InvalidPayload);
  });

  it("a QoS 0 publish cut off mid-write is counted as dropped; the run's unstarted ones are kept", () => {
    const client = connected();
    for (const text of ["a", "b"]) client.publish("t", text, 0);
    take(client, 3);
    client.closed(0);
    expect(client.stats.dropped).toBe(1);
    expect(client.queuedCount()).toBe(1);
  });
});
