/**
 * MQTT 5.0 enhanced authentication (§4.12): the Authentication Method and first data go in CONNECT; each
 * AUTH the server sends with Continue authentication (0x18) is answered with the data the app's onAuth
 * returns; reauthenticate() starts again on a live connection with Re-authenticate (0x19), as a token that
 * expires needs (Azure Event Grid's JWT refresh). The server ends a failed exchange with CONNACK or
 * DISCONNECT and its reason code. Rare, so it may allocate (the data handed to onAuth is a copy).
 */
import { encodeAuth, authSize, AuthReason } from "../codec/packets/auth.js";
import type { IncomingPacket } from "../codec/packet.js";
import { Property, writeDataProperty } from "../codec/properties.js";
import type { ByteRing } from "../codec/ring.js";
import { ClientError, DisconnectReason } from "./errors.js";
import type { AppEvents } from "./events.js";

export class Authentication {
  /** The reason code of the AUTH to send next, or -1. */
  /** The reason code of an AUTH waiting to be queued, or -1 (read by Output.pick before it calls queueNext). */
  pendingReason = -1;
  private pendingData: Uint8Array | null = null;
  private scratch = new Uint8Array(0);

  constructor(
    /** The Authentication Method's UTF-8 bytes, or null: no enhanced authentication. */
    readonly method: Uint8Array | null,
    private readonly events: AppEvents,
  ) {}

  /** Queues an AUTH (sent by queueNext() when the control buffer is free); a ClientError if it cannot be. */
  request(reasonCode: number, data: Uint8Array | null): number {
    if (this.method === null) return ClientError.InvalidArgument; // no Authentication Method in CONNECT [MQTT-4.12.1-1]
    if (data !== null && !(data instanceof Uint8Array)) return ClientError.InvalidArgument;
    this.pendingReason = reasonCode;
    this.pendingData = data;
    return 0;
  }

  /** Writes the AUTH waiting into `control` (empty) if it fits; true if one went in. */
  queueNext(control: ByteRing): boolean {
    const reason = this.pendingReason;
    if (reason < 0 || this.method === null) return false;
    const data = this.pendingData;
    const length = 3 + this.method.length + (data === null ? 0 : 3 + data.length);
    if (this.scratch.length < length) this.scratch = new Uint8Array(length);
    let off = writeDataProperty(this.scratch, 0, Property.AuthenticationMethod, this.method);
    if (data !== null) off = writeDataProperty(this.scratch, off, Property.AuthenticationData, data);
    const size = authSize(off);
    this.pendingReason = -1;
    this.pendingData = null;
    if (size > control.writable()) {
      this.events.error(ClientError.AuthTooLarge);
      return false;
    }
    const at = control.reserve(size);
    control.commit(encodeAuth(control.buffer, at, reason, this.scratch, off) - at);
    return true;
  }

  /**
   * An AUTH from the server: 0, or the reason to close for. Continue authentication (0x18) is answered
   * with onAuth's data; Success (0x00) ends a re-authentication. The method must be ours [MQTT-4.12.0-5].
   */
  received(p: IncomingPacket): number {
    const method = this.method;
    if (method === null) return DisconnectReason.ProtocolError; // we asked for none (§4.12)
    const props = p.properties;
    const at = props.dataOffset(Property.AuthenticationMethod);
    const length = props.dataLength(Property.AuthenticationMethod);
    if (at < 0 || length !== method.length) return DisconnectReason.ProtocolError;
    for (let i = 0; i < length; i++) if (p.buffer[at + i] !== method[i]) return DisconnectReason.ProtocolError;
    const dataAt = props.dataOffset(Property.AuthenticationData);
    const data = dataAt < 0 ? null : p.buffer.slice(dataAt, dataAt + props.dataLength(Property.AuthenticationData));
    if (p.reasonCode === AuthReason.ContinueAuthentication) {
      const answer = this.events.auth(p.reasonCode, data);
      this.request(AuthReason.ContinueAuthentication, answer ?? null);
      return 0;
    }
    if (p.reasonCode === AuthReason.Success) {
      this.events.auth(p.reasonCode, data); // re-authentication done
      return 0;
    }
    return DisconnectReason.ProtocolError; // 0x19 comes only from the client
  }

  /** A new connection: nothing owed from the last one. */
  reset(): void {
    this.pendingReason = -1;
    this.pendingData = null;
  }
}
