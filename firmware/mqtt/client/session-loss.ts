/**
 * What a lost connection and a kept or lost session do to the outbox's records, and the oldest ack still
 * awaited: walks over the records that outbound.ts runs at those moments (never per message).
 */
import { clearDuplicate } from "../codec/packets/publish.js";
import type { AppEvents } from "./events.js";
import { NONE, RecordState, type Outbox } from "./outbox.js";
import type { ClientStats } from "./stats.js";

/** resend[] value of a record a lost session gave up, about to be reported. */
const UNCONFIRMED = 3;

/**
 * The connection is gone (records not started are already Queued again): a QoS 0 cut off mid-write is
 * lost (at most once); a QoS 1/2 one may have reached the broker, so it goes again, as do the PUBLISH and
 * PUBREL of every message in flight [MQTT-4.4.0-1]. Returns whether some PUBREL is to go again.
 */
export function requeueAfterLinkLoss(outbox: Outbox, stats: ClientStats): boolean {
  let pubrels = false;
  for (let i = outbox.first; i !== NONE; ) {
    const next = outbox.next[i];
    const state = outbox.state[i];
    if (state === RecordState.Sending) {
      if (outbox.qos[i] === 0) {
        outbox.remove(i);
        stats.dropped++;
        i = next;
        continue;
      }
      outbox.setState(i, RecordState.Sent); // startNext() sets DUP when it goes again
    }
    if (outbox.state[i] === RecordState.Sent || outbox.state[i] === RecordState.Released) outbox.resend[i] = 1;
    if (outbox.state[i] === RecordState.Released) pubrels = true;
    i = next;
  }
  return pubrels;
}

/** CONNACK with session present: a PUBREL that goes again waits for its PUBCOMP from now on. */
export function restartPubrelWaits(outbox: Outbox, now: number): void {
  for (let i = outbox.first; i !== NONE; i = outbox.next[i]) if (outbox.state[i] === RecordState.Released) outbox.waitSince[i] = now;
}

/**
 * The broker has no session for us. A message it had not acknowledged is sent again as new
 * (resendOnNewSession) or given up; one past PUBREC is always given up: the broker may forward it only on
 * the PUBREL it will never get (§4.3.3 method A), and sending it again could deliver it twice. Given up
 * means unconfirmed, never acked.
 */
export function giveUpSession(outbox: Outbox, resendOnNewSession: boolean, stats: ClientStats, events: AppEvents): void {
  // First every record's fate, with no callback; then the reports, one record at a time, each after it
  // is gone (a callback that calls back into the client finds the outbox consistent).
  for (let i = outbox.first; i !== NONE; i = outbox.next[i]) {
    const state = outbox.state[i];
    if (state === RecordState.Sent && resendOnNewSession) {
      clearDuplicate(outbox.bytes, outbox.offset[i]); // a new message in the new session: no DUP
      outbox.resend[i] = 0;
      outbox.setState(i, RecordState.Queued);
    } else if (state === RecordState.Sent || state === RecordState.Released) outbox.resend[i] = UNCONFIRMED;
  }
  for (;;) {
    let i = outbox.first;
    while (i !== NONE && outbox.resend[i] !== UNCONFIRMED) i = outbox.next[i];
    if (i === NONE) return;
    const packetId = outbox.packetId[i];
    outbox.remove(i);
    stats.unconfirmed++;
    events.unconfirmed(packetId);
  }
}

/** When the oldest wait for an ack began (a Sent or Released record not to be sent again), or Infinity. */
export function oldestAckWait(outbox: Outbox): number {
  let since = Infinity;
  for (let i = outbox.first; i !== NONE; i = outbox.next[i]) {
    const state = outbox.state[i];
    if ((state === RecordState.Sent || state === RecordState.Released) && outbox.resend[i] === 0 && outbox.waitSince[i] < since) since = outbox.waitSince[i];
  }
  return since;
}
