/**
 * The packets from the broker, in order, each to the part that owns its state (as rumqtt's
 * MqttState::handle_incoming_packet): PUBLISH and PUBREL to inbound, PUBACK/PUBREC/PUBCOMP to outbound,
 * SUBACK/UNSUBACK to subscriptions, PINGRESP to keepalive, CONNACK here (the handshake's verdict). A
 * packet whose answer finds no room waits in the receive buffer; a broker's fault ends the connection
 * through `lose`, which the facade gives (it owns the loss: every part is told, then the app).
 */
import { PacketType, type IncomingPacket } from "../codec/packet.js";
import { copyBytes, decodeUtf8 } from "../codec/wire.js";
import { Property } from "../codec/properties.js";
import { reasonCodeOf } from "../codec/status.js";
import { DisconnectReason } from "./errors.js";
import type { Authentication } from "./auth.js";
import type { AppEvents } from "./events.js";
import { refusalReason, refusedForWhoWeAre } from "./handshake.js";
import type { Inbound } from "./inbound.js";
import { NOTHING, SKIPPED, type Input } from "./input.js";
import type { Keepalive } from "./keepalive.js";
import { ClientState, type Lifecycle } from "./lifecycle.js";
import type { ResolvedOptions } from "./options.js";
import type { Outbound } from "./outbound.js";
import { Mode, type Output } from "./output.js";
import type { ClientStats } from "./stats.js";
import type { ServerLimits } from "./server-limits.js";
import type { TopicAliases } from "./topic-aliases.js";
import type { Subscriptions } from "./subscriptions.js";

/** Ends the connection: `report` tells onError too; `holdOff` makes the next attempt wait the longest delay. */
export type Lose = (now: number, reason: number, report: boolean, holdOff: boolean) => void;

export class Router {
  /**
   * 5.0: the Reason String of the last packet from the broker that carried one (§3.2.2.3.7 and alike): its
   * bytes, copied (at most 256) when it comes; made a string only when the app asks (reasonText()).
   */
  private readonly reasonBytes = new Uint8Array(256);
  private reasonLength = 0;
  private reasonCached: string | null = "";
  /** 5.0: the Assigned Client Identifier of the last CONNACK that gave one (§3.2.2.3.7), or null. */
  assignedClientId: Uint8Array | null = null;

  constructor(
    private readonly life: Lifecycle,
    private readonly input: Input,
    private readonly output: Output,
    private readonly keepalive: Keepalive,
    private readonly inbound: Inbound,
    private readonly outbound: Outbound,
    private readonly subscriptions: Subscriptions,
    private readonly events: AppEvents,
    private readonly stats: ClientStats,
    private readonly options: ResolvedOptions,
    private readonly limits: ServerLimits,
    private readonly auth: Authentication,
    private readonly aliases: TopicAliases,
    private readonly lose: Lose,
  ) {
    subscriptions.readTopicsIn(input.rx.buffer, input.words); // matched where they arrive, in words (topic.ts)
  }

  /**
   * Handles every whole packet received, in order. Not re-entered: an app callback that drives the
   * transport (service(), a socket read) only adds bytes, which this loop then reaches.
   */
  process(now: number): void {
    const input = this.input;
    if (input.busy) return;
    input.busy = true;
    try {
      this.processAll(now);
    } finally {
      input.busy = false;
    }
  }

  private processAll(now: number): void {
    const input = this.input;
    const life = this.life;
    if (!life.reading()) return;
    // Whether the client still reads is checked again after anything that may have called the app.
    for (;;) {
      const r = input.next();
      if (r === NOTHING) return;
      if (r === SKIPPED) {
        if (this.life.state === ClientState.Connecting) {
          this.fail(now, DisconnectReason.ProtocolError); // [MQTT-3.2.0-1]
          return;
        }
        if (!this.inbound.oversized(input.skippedQos, input.skippedId)) return; // waits for room for its ack
        input.skipDone();
        if (!life.reading()) return;
        continue;
      }
      if (r < 0) {
        this.fail(now, reasonCodeOf(r));
        return;
      }
      if (!this.handle(now)) return; // waits in the buffer for room for its answer
      if (!life.reading()) return;
      input.done();
    }
  }

  /** Routes the decoded packet to its part; false if it must wait (for room for a response) or the connection ended. */
  private handle(now: number): boolean {
    const p = this.input.packet;
    // Kept before the packet is handled: its callbacks (onDisconnected, onAcked) may ask for it.
    const props = p.properties;
    if (props.length !== 0 && props.has(Property.ReasonString)) this.keepReason(p); // (3.1.1: no property block, no call)
    if (this.life.state === ClientState.Connecting) {
      if (p.type === PacketType.Auth) return this.check(now, this.auth.received(p)); // §4.12: the exchange before CONNACK
      if (p.type !== PacketType.Connack) return this.fail(now, DisconnectReason.ProtocolError); // [MQTT-3.2.0-1]
      return this.connack(now);
    }
    switch (p.type) {
      case PacketType.Publish: {
        // An alias above our Topic Alias Maximum (0 by default) or never set closes with 0x94 (§3.3.2.3.4).
        // A Topic Alias is a property: without a property block (always in 3.1.1) there is none to resolve.
        if (props.length !== 0) {
          const resolved = this.aliases.resolve(p);
          if (resolved !== 0) return this.fail(now, resolved);
        }
        const r = this.inbound.publish(p);
        return r === 0 ? true : r < 0 ? false : this.fail(now, r);
      }
      case PacketType.Puback:
      case PacketType.Pubcomp:
        return this.check(now, this.outbound.complete(p.type, p.packetId, p.reasonCode));
      case PacketType.Pubrec: {
        const r = this.outbound.pubrec(p.packetId, now, p.reasonCode);
        return r < 0 ? false : this.check(now, r);
      }
      case PacketType.Pubrel:
        return this.inbound.pubrel(p.packetId);
      case PacketType.Suback:
      case PacketType.Unsuback:
        return this.check(now, this.subscriptions.ack(p));
      case PacketType.Pingresp:
        this.keepalive.pingresp();
        return true;
      case PacketType.Auth:
        return this.check(now, this.auth.received(p)); // a re-authentication's answer (§4.12.1)
      case PacketType.Disconnect: {
        // 5.0 (decode.ts refuses it in 3.1.1): the broker closes, with its reason (§3.14.2.1). A reason
        // about who we are (banned, not authorized, session taken over, a rate or quota) waits the longest.
        const code = p.reasonCode;
        const holdOff = code === 0x87 || code === 0x89 || code === 0x8a || code === 0x8e || code === 0x97 || code === 0x9f;
        this.lose(now, code === 0 ? DisconnectReason.ServerDisconnected : code, code >= 0x80, holdOff);
        return false;
      }
      default:
        // A second CONNACK [MQTT-3.2.0-1 allows one], AUTH when we sent no Authentication Method
        // (§4.12), or anything else a client does not expect.
        return this.fail(now, DisconnectReason.ProtocolError);
    }
  }

  private keepReason(p: IncomingPacket): void {
    const props = p.properties;
    const at = props.dataOffset(Property.ReasonString);
    const length = props.dataLength(Property.ReasonString);
    const n = length < this.reasonBytes.length ? length : this.reasonBytes.length;
    copyBytes(this.reasonBytes, 0, p.buffer, at, n);
    this.reasonLength = n;
    this.reasonCached = null;
  }

  /** The last Reason String as text (made once per Reason String received). */
  reasonText(): string {
    if (this.reasonCached === null) this.reasonCached = decodeUtf8(this.reasonBytes, 0, this.reasonLength);
    return this.reasonCached;
  }

  private check(now: number, reason: number): boolean {
    return reason === 0 ? true : this.fail(now, reason);
  }

  private connack(now: number): boolean {
    const p = this.input.packet;
    if (p.returnCode !== 0) {
      // Refused for who we are: retrying at once would be refused again, so the next attempt waits the longest delay.
      this.lose(now, refusalReason(p.returnCode), true, refusedForWhoWeAre(p.returnCode));
      return false;
    }
    // [MQTT-3.2.2-1] with Clean Session 1 the broker must report no session (5.0: Clean Start [MQTT-3.2.2-2]).
    if (p.sessionPresent && this.options.clean) return this.fail(now, DisconnectReason.ProtocolError);
    if (this.options.protocolVersion === 5) {
      const limits = this.limits;
      limits.accept(p.properties);
      this.subscriptions.serverAllows(limits);
      const id = p.properties.dataOffset(Property.AssignedClientIdentifier);
      // Kept for the next CONNECT (the client asked with an empty one): allocates, once per such CONNACK.
      if (id >= 0) this.assignedClientId = p.buffer.slice(id, id + p.properties.dataLength(Property.AssignedClientIdentifier));
      // [MQTT-3.2.2-21] the Server Keep Alive replaces ours
      this.keepalive.use(limits.serverKeepAlive >= 0 ? limits.serverKeepAlive * 1000 : this.options.keepalive * 1000);
    }
    this.inbound.connected();
    this.aliases.clear(); // [MQTT-3.3.2-7] no alias carries over to a new connection
    const life = this.life;
    life.state = ClientState.Connected;
    life.connectedAt = now;
    this.output.mode = Mode.Connected;
    this.stats.connects++;
    if (p.sessionPresent) this.outbound.sessionResumed(now);
    else {
      this.inbound.sessionLost();
      this.subscriptions.sessionLost();
      this.outbound.sessionLost();
    }
    this.outbound.connected(); // after the session's fate: what it queued again is checked against the limits too
    this.events.connected(p.sessionPresent, p.properties);
    return true;
  }

  /** Closes the connection for a broker's fault; returns false so input handling stops. */
  private fail(now: number, reason: number): boolean {
    this.lose(now, reason, true, false);
    return false;
  }
}
