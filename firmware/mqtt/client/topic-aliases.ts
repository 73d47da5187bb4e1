/**
 * MQTT 5.0 Topic Aliases from the broker (§3.3.2.3.4): we announce a Topic Alias Maximum
 * (properties.topicAliasMaximum, default 0: none) and keep each alias's topic in a fixed table, one slot of
 * maxPacketSize bytes per alias (no topic can be longer than a packet we accept), so the memory is known
 * from the options. A PUBLISH with a topic and an alias sets it; one with the alias alone is given its
 * topic from the table. The table is emptied on every new connection [MQTT-3.3.2-7].
 */
import type { IncomingPacket } from "../codec/packet.js";
import { Property } from "../codec/properties.js";
import { copyBytes } from "../codec/wire.js";
import { DisconnectReason } from "./errors.js";

/** The table of a client that allows no alias (the default): nothing reads it, one for all. */
const NO_LENGTHS = new Uint16Array(1);
const NO_BYTES = new Uint8Array(0);

export class TopicAliases {
  private readonly bytes: Uint8Array;
  private readonly lengths: Uint16Array;

  constructor(
    /** Aliases we allow, 0 to 65,535. */
    readonly maximum: number,
    private readonly slot: number,
  ) {
    if (maximum === 0) {
      this.lengths = NO_LENGTHS; // resolve() refuses every alias before reading it; clear() writes its 0
      this.bytes = NO_BYTES;
      return;
    }
    // One ArrayBuffer, two views (4 slots each; an array with its own buffer is 7): the lengths first (2-byte aligned).
    const lengthsBytes = (maximum + 1) * 2;
    this.lengths = new Uint16Array(new ArrayBuffer(lengthsBytes + maximum * slot), 0, maximum + 1);
    this.bytes = new Uint8Array(this.lengths.buffer, lengthsBytes, maximum * slot);
  }

  /**
   * Resolves a PUBLISH's alias, if it has one: 0, or the reason to close for (0x94: an alias of 0 or above
   * our maximum [MQTT-3.3.2-8] [MQTT-3.3.2-9], or one never set on this connection). An alias-only
   * PUBLISH's topic then points into the table (the packet's topicBuffer).
   */
  resolve(p: IncomingPacket): number {
    const props = p.properties;
    if (!props.has(Property.TopicAlias)) return 0;
    const alias = props.number(Property.TopicAlias, 0);
    if (alias === 0 || alias > this.maximum) return DisconnectReason.TopicAliasInvalid;
    const at = (alias - 1) * this.slot;
    if (p.topicLength > 0) {
      copyBytes(this.bytes, at, p.buffer, p.topicOffset, p.topicLength); // the frame held it, so it fits a slot
      this.lengths[alias] = p.topicLength;
      return 0;
    }
    const length = this.lengths[alias];
    if (length === 0) return DisconnectReason.TopicAliasInvalid; // an alias the broker never set (§3.3.2.3.4)
    p.topicBuffer = this.bytes;
    p.topicOffset = at;
    p.topicLength = length;
    return 0;
  }

  /** A new connection: no alias carries over [MQTT-3.3.2-7]. */
  clear(): void {
    this.lengths.fill(0);
  }
}
