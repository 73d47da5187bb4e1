/**
 * What our client holds, read from its fixed tables (Node tests; the XS allocation proofs cover real memory):
 * outbox records and bytes, the in-flight window, the receive and control buffers, and the inbound QoS 2
 * ids. Their capacities are fixed at construction; these counts say how much of them is in use.
 */
import type { MqttClient } from "../../firmware/mqtt/index.js";
import { outboxOf } from "../vectors/fuzz.js";

interface Internals {
  input: { rx: { head: number; tail: number; capacity: number } };
  output: { control: { head: number; tail: number; capacity: number } };
  inbound: { ids: { count: number } };
  subscriptions: { reqId: Uint16Array };
}

export interface Tables {
  queued: number;
  outboxLive: number;
  inflight: number;
  outboxBytes: number;
  receiveBytes: number;
  controlBytes: number;
  inboundIds: number;
  /** SUBSCRIBE/UNSUBSCRIBE awaiting their ack. */
  requests: number;
}

export const EMPTY_TABLES: Tables = { queued: 0, outboxLive: 0, inflight: 0, outboxBytes: 0, receiveBytes: 0, controlBytes: 0, inboundIds: 0, requests: 0 };

export function tables(client: MqttClient): Tables {
  const c = client as unknown as Internals;
  const outbox = outboxOf(client);
  return {
    queued: client.queuedCount(),
    outboxLive: outbox.live,
    inflight: outbox.inflight,
    outboxBytes: outbox.liveBytes,
    receiveBytes: c.input.rx.tail - c.input.rx.head,
    controlBytes: c.output.control.tail - c.output.control.head,
    inboundIds: c.inbound.ids.count,
    requests: c.subscriptions.reqId.filter((id) => id !== 0).length,
  };
}
