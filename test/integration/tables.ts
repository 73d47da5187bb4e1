/**
 * What our client holds, read from its fixed tables (Node tests; the XS allocation proofs cover real memory):
 * outbox records and bytes, the in-flight window, the receive and control buffers, and the session's id
 * tables. Their capacities are fixed at construction; these counts say how much of them is in use.
 */
import type { MqttClient } from "../../firmware/mqtt/client.js";
import { outboxOf } from "../vectors/fuzz.js";

interface Internals {
  rx: { head: number; tail: number; capacity: number };
  control: { head: number; tail: number; capacity: number };
  session: { inboundCount: number; pendingCount: number; inbound: Uint16Array; pending: Uint16Array };
}

export interface Tables {
  queued: number;
  outboxLive: number;
  outboxSpan: number;
  inflight: number;
  outboxBytes: number;
  receiveBytes: number;
  controlBytes: number;
  inboundIds: number;
  pendingIds: number;
}

export const EMPTY_TABLES: Tables = { queued: 0, outboxLive: 0, outboxSpan: 0, inflight: 0, outboxBytes: 0, receiveBytes: 0, controlBytes: 0, inboundIds: 0, pendingIds: 0 };

export function tables(client: MqttClient): Tables {
  const c = client as unknown as Internals;
  const outbox = outboxOf(client);
  return {
    queued: client.queuedCount(),
    outboxLive: outbox.live,
    outboxSpan: outbox.span,
    inflight: outbox.inflight,
    outboxBytes: outbox.ring.tail - outbox.ring.head,
    receiveBytes: c.rx.tail - c.rx.head,
    controlBytes: c.control.tail - c.control.head,
    inboundIds: c.session.inboundCount,
    pendingIds: c.session.pendingCount,
  };
}

/** The fixed capacities: receive, control and outbox bytes, outbox slots, inbound and pending id slots. */
export function capacities(client: MqttClient): number[] {
  const c = client as unknown as Internals;
  const outbox = outboxOf(client);
  return [c.rx.capacity, c.control.capacity, outbox.ring.capacity, outbox.slots, c.session.inbound.length, c.session.pending.length];
}
