/**
 * 5.0: what a new CONNACK's limits do to the messages waiting in the outbox. A message queued while the
 * limits were not known (or other), or a kept session's message to be sent again, that is now beyond them
 * ([MQTT-3.2.2-11] Maximum QoS, [MQTT-3.2.2-14] Retain Available, [MQTT-3.2.2-15] Maximum Packet Size) is
 * never sent to be refused: it is removed and reported (onError with its code, onUnconfirmed at QoS 1/2),
 * counted as dropped if it never went, unconfirmed if it went before (the broker may have it).
 */
import { ClientError } from "./errors.js";
import type { AppEvents } from "./events.js";
import { NONE, RecordState, type Outbox } from "./outbox.js";
import type { ServerLimits } from "./server-limits.js";
import type { ClientStats } from "./stats.js";

/** resend[] values of a record beyond the limits, about to be reported: never sent, or sent before. */
const BEYOND_QUEUED = 4;
const BEYOND_SENT = 5;

export function holdToLimits(outbox: Outbox, limits: ServerLimits, stats: ClientStats, events: AppEvents): void {
  // First every record's fate, with no callback; then the reports, each after its record is gone (a
  // callback that calls back into the client finds the outbox consistent).
  for (let i = outbox.first; i !== NONE; i = outbox.next[i]) {
    const state = outbox.state[i];
    if (state !== RecordState.Queued && !(state === RecordState.Sent && outbox.resend[i] === 1)) continue;
    const retain = (outbox.bytes[outbox.offset[i]] & 0x01) !== 0;
    const code =
      outbox.qos[i] > limits.maximumQoS ? ClientError.QoSNotSupported
      : retain && !limits.retainAvailable ? ClientError.RetainNotSupported
      : outbox.length[i] > limits.maximumPacketSize ? ClientError.PacketTooLargeForServer
      : 0;
    if (code === 0) continue;
    outbox.resend[i] = state === RecordState.Queued ? BEYOND_QUEUED : BEYOND_SENT;
    outbox.pubrecOrder[i] = code; // (unused by a record not Released): the code to report
  }
  for (;;) {
    let i = outbox.first;
    while (i !== NONE && outbox.resend[i] !== BEYOND_QUEUED && outbox.resend[i] !== BEYOND_SENT) i = outbox.next[i];
    if (i === NONE) return;
    const sent = outbox.resend[i] === BEYOND_SENT;
    const packetId = outbox.packetId[i];
    const qos = outbox.qos[i];
    const code = outbox.pubrecOrder[i];
    outbox.remove(i);
    if (sent) stats.unconfirmed++;
    else stats.dropped++;
    events.error(code);
    if (qos > 0) events.unconfirmed(packetId);
  }
}
