/**
 * The app's callbacks, called so that nothing the app throws reaches the transport or the client's
 * state: a throwing handler is reported through onError (HandlerThrew, with what it threw) and the client
 * carries on. The options object is not kept (it holds the credentials): only these functions, bound to
 * nothing.
 */
import type { Properties } from "../codec/properties.js";
import { ClientError } from "./errors.js";
import type { MessageView } from "./message.js";
import type { ClientOptions } from "./options.js";

export class AppEvents {
  private readonly onConnected: ((sessionPresent: boolean, properties: Properties) => void) | undefined;
  private readonly onMessage: ((message: MessageView) => void) | undefined;
  private readonly onAcked: ((packetId: number, reasonCode: number) => void) | undefined;
  private readonly onUnconfirmed: ((packetId: number) => void) | undefined;
  private readonly onSubscribed: ((topic: string, returnCode: number) => void) | undefined;
  private readonly onDisconnected: ((reason: number) => void) | undefined;
  private readonly onError: ((code: number, thrown?: unknown) => void) | undefined;
  private readonly onAuth: ((reasonCode: number, data: Uint8Array | null) => Uint8Array | null | undefined) | undefined;

  constructor(options: ClientOptions) {
    this.onConnected = options.onConnected;
    this.onMessage = options.onMessage;
    this.onAcked = options.onAcked;
    this.onUnconfirmed = options.onUnconfirmed;
    this.onSubscribed = options.onSubscribed;
    this.onDisconnected = options.onDisconnected;
    this.onError = options.onError;
    this.onAuth = options.onAuth;
  }

  /** `properties`: the CONNACK's (5.0), a view valid during the call. */
  connected(sessionPresent: boolean, properties: Properties): void {
    const onConnected = this.onConnected;
    if (!onConnected) return;
    try {
      onConnected(sessionPresent, properties);
    } catch (thrown) {
      this.error(ClientError.HandlerThrew, thrown);
    }
  }

  /** A message for `handler` (a subscription's), or for onMessage when null. */
  message(view: MessageView, handler: ((message: MessageView) => void) | null): void {
    this.call(handler ?? this.onMessage, view);
  }

  /** `reasonCode`: 0 in 3.1.1; in 5.0 the PUBACK's, PUBREC's (0x80 and up: refused) or PUBCOMP's. */
  acked(packetId: number, reasonCode: number): void {
    const onAcked = this.onAcked;
    if (!onAcked) return;
    try {
      onAcked(packetId, reasonCode);
    } catch (thrown) {
      this.error(ClientError.HandlerThrew, thrown);
    }
  }

  unconfirmed(packetId: number): void {
    this.call(this.onUnconfirmed, packetId);
  }

  subscribed(topic: string, returnCode: number): void {
    const onSubscribed = this.onSubscribed;
    if (!onSubscribed) return;
    try {
      onSubscribed(topic, returnCode);
    } catch (thrown) {
      this.error(ClientError.HandlerThrew, thrown);
    }
  }

  disconnected(reason: number): void {
    this.call(this.onDisconnected, reason);
  }

  /** 5.0: the server's AUTH (its reason and data); returns the data to answer with (none if the handler threw). */
  auth(reasonCode: number, data: Uint8Array | null): Uint8Array | null | undefined {
    const onAuth = this.onAuth;
    if (!onAuth) return null;
    try {
      return onAuth(reasonCode, data);
    } catch (thrown) {
      this.error(ClientError.HandlerThrew, thrown);
      return null;
    }
  }

  /** Tells the app; `thrown` is what its handler threw (HandlerThrew only). */
  error(code: number, thrown?: unknown): void {
    const onError = this.onError;
    if (!onError) return;
    try {
      onError(code, thrown);
    } catch {
      // an app's error handler that throws has nothing left to tell
    }
  }

  private call<T>(callback: ((value: T) => void) | null | undefined, value: T): void {
    if (!callback) return;
    try {
      callback(value);
    } catch (thrown) {
      this.error(ClientError.HandlerThrew, thrown);
    }
  }
}
