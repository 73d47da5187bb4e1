/**
 * Checks on each leg of a publisher -> broker -> subscriber run, so that a duplicate at the subscriber is
 * traced to the leg that made it:
 * - the publisher's leg (our client, recorded by RecordingProxy): every message sent as new at most once per
 *   session (its first send can die with a dropped link before the proxy sees it: then the leg shows only
 *   its resend); sent again only with DUP and its packet id, into a session the broker kept (CONNACK
 *   session present 1) [MQTT-4.4.0-1] [MQTT-3.3.1-1]; a QoS 2 message the client has PUBRELed never sent
 *   again as a PUBLISH.
 * - a subscriber's leg (MQTT.js's packets, or our client's through the proxy): how many times the broker began
 *   a new delivery (a PUBLISH with DUP 0) of a message the subscriber had already completed, and which
 *   messages the broker sent again as a PUBLISH after it had sent their PUBREL, which a QoS 2 sender must
 *   not do [MQTT-4.3.3-1]. A subscriber that has sent its PUBCOMP must take such a PUBLISH as a new
 *   publication [MQTT-4.3.3-2]: a duplicate it delivers is then the broker's, and only such a duplicate is.
 *   (mosquitto 2.0.11 does it after a failed PUBREL resend: see the README's "Brokers".)
 */
import type { RecordedPacket } from "./recorder.js";

export interface PublisherLeg {
  /** Rule breaks on our leg, at most 10 listed. */
  violations: string[];
  /** Messages (payloads) seen on the leg; of their PUBLISH, those sent as new (DUP 0) and again (DUP 1). */
  messages: number;
  newSends: number;
  resends: number;
  /** Connections whose CONNACK said session present 0 after the first. */
  sessionsLost: number;
}

/** Checks what our client sent (direction "out") against what the broker answered on the same leg. */
export function checkPublisherLeg(packets: readonly RecordedPacket[], topic: string): PublisherLeg {
  const violations: string[] = [];
  const fail = (text: string) => {
    if (violations.length < 10) violations.push(text);
  };
  /** Per payload: its packet id in the current session, and whether the client answered its PUBREC. */
  const sent = new Map<string, { id: number; pubrec: boolean }>();
  const byId = new Map<number, string>();
  let sessionKept = false;
  let connection = 0;
  let connections = 0;
  let sessionsLost = 0;
  let messages = 0;
  let newSends = 0;
  let resends = 0;
  for (const p of packets) {
    if (p.connection !== connection) {
      connection = p.connection;
      sessionKept = false;
    }
    if (p.direction === "in" && p.cmd === "connack") {
      if (p.returnCode !== 0) continue;
      connections++;
      sessionKept = p.sessionPresent === true;
      if (!sessionKept && connections > 1) {
        sessionsLost++;
        sent.clear(); // a new session: what the old one held may go again as new
        byId.clear();
      }
      continue;
    }
    // The client took a PUBREC when it answers with PUBREL (a PUBREC the broker sent may die with the link).
    if (p.direction === "out" && p.cmd === "pubrel" && p.messageId !== undefined) {
      const payload = byId.get(p.messageId);
      if (payload !== undefined) sent.get(payload)!.pubrec = true;
      continue;
    }
    if (p.direction !== "out" || p.cmd !== "publish" || p.topic !== topic) continue;
    const payload = p.payload!;
    const before = sent.get(payload);
    if (!before) {
      // Seen first with DUP 1: its first send died with a dropped link before the proxy got it, which is
      // fine only for a resend into a kept session.
      if (p.dup && !sessionKept) fail(`connection ${p.connection}: ${payload} first seen with DUP 1, before a CONNACK with session present`);
      sent.set(payload, { id: p.messageId ?? 0, pubrec: false });
      if (p.messageId) byId.set(p.messageId, payload);
      messages++;
      if (p.dup) resends++;
      else newSends++;
      continue;
    }
    resends++;
    if (!p.dup) fail(`connection ${p.connection}: ${payload} sent again as new (DUP 0, id ${p.messageId}) in the same session`);
    if (p.messageId !== before.id) fail(`connection ${p.connection}: ${payload} sent again with id ${p.messageId}, first ${before.id} [MQTT-4.4.0-1]`);
    if (!sessionKept) fail(`connection ${p.connection}: ${payload} sent again before a CONNACK with session present`);
    if (before.pubrec) fail(`connection ${p.connection}: ${payload} sent again as PUBLISH after the client's PUBREL [MQTT-4.3.3-1]`);
  }
  return { violations, messages, newSends, resends, sessionsLost };
}

/** One packet of the subscriber's leg (MQTT.js packetreceive / packetsend). */
export interface SubscriberPacket {
  direction: "in" | "out";
  cmd: string;
  messageId?: number;
  dup?: boolean;
  payload?: string;
}

export interface SubscriberLeg {
  /** New deliveries (PUBLISH DUP 0) the broker began for a message whose earlier delivery had completed. */
  brokerRedeliveries: number;
  /** Resends (DUP 1) of a message already completed. */
  brokerResends: number;
  /** Per message (payload): how many times the broker sent its PUBLISH again after its PUBREL. */
  resentAfterPubrel: Map<string, number>;
}

/** What the broker sent the subscriber: deliveries of messages the subscriber had already completed. */
export function checkSubscriberLeg(packets: readonly SubscriberPacket[], qos: number): SubscriberLeg {
  const completed = new Set<string>();
  const inFlight = new Map<number, string>();
  /** The message each packet id last carried, and the messages whose PUBREL the broker has sent. */
  const carried = new Map<number, string>();
  const released = new Set<string>();
  const resentAfterPubrel = new Map<string, number>();
  let brokerRedeliveries = 0;
  let brokerResends = 0;
  for (const p of packets) {
    if (p.direction === "in" && p.cmd === "publish" && p.payload !== undefined) {
      if (completed.has(p.payload)) {
        if (p.dup) brokerResends++;
        else brokerRedeliveries++;
      }
      if (released.has(p.payload)) resentAfterPubrel.set(p.payload, (resentAfterPubrel.get(p.payload) ?? 0) + 1);
      if (p.messageId !== undefined) carried.set(p.messageId, p.payload);
      if (qos === 2 && p.messageId !== undefined) inFlight.set(p.messageId, p.payload);
      else completed.add(p.payload);
    } else if (p.direction === "in" && p.cmd === "pubrel" && p.messageId !== undefined) {
      const payload = carried.get(p.messageId);
      if (payload !== undefined) released.add(payload);
    } else if (p.direction === "out" && p.cmd === "pubcomp" && p.messageId !== undefined) {
      const payload = inFlight.get(p.messageId);
      if (payload !== undefined) completed.add(payload);
      inFlight.delete(p.messageId);
    }
  }
  return { brokerRedeliveries, brokerResends, resentAfterPubrel };
}

/**
 * The duplicates in `counts` (deliveries per message) that the broker's leg does not explain: a message
 * delivered more times than 1 + the times the broker sent it again after its PUBREL.
 */
export function unexplainedDuplicates(counts: ReadonlyMap<string, number>, leg: SubscriberLeg): string[] {
  const unexplained: string[] = [];
  for (const [payload, count] of counts) {
    if (count > 1 + (leg.resentAfterPubrel.get(payload) ?? 0)) unexplained.push(`${payload} x${count}`);
  }
  return unexplained;
}
