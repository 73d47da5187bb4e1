/**
 * Decodes one framed packet from the broker into the reused IncomingPacket: the step after frame.ts.
 * Never throws: a malformed packet gives a negative DecodeError, which the client turns into a
 * disconnect with reasonCodeOf(error).
 */
import { PacketType, ProtocolVersion, type IncomingPacket } from "./packet.js";
import { decodeAck } from "./packets/acks.js";
import { decodeAuth } from "./packets/auth.js";
import { decodeConnack } from "./packets/connect.js";
import { decodeDisconnect } from "./packets/disconnect.js";
import { decodePingresp } from "./packets/ping.js";
import { decodePublish } from "./packets/publish.js";
import { decodeSuback } from "./packets/subscribe.js";
import { decodeUnsuback } from "./packets/unsubscribe.js";
import { DecodeError } from "./status.js";
import type { FrameReader } from "./frame.js";

/**
 * Decodes the packet whose header `frame` just read (FrameReader.read returned its length) from `buf`.
 * Returns 0 with `out` filled, or a DecodeError. `words`: a DataView of buf (its 0 at buf[0]), so a
 * PUBLISH's topic name is checked in words (topic.ts).
 */
export function decodePacket(buf: Uint8Array, frame: FrameReader, out: IncomingPacket, version: ProtocolVersion, words?: DataView): number {
  if (version !== ProtocolVersion.V311 && version !== ProtocolVersion.V5) return DecodeError.UnsupportedProtocolVersion;
  const off = frame.bodyOffset;
  const length = frame.remainingLength;
  out.reset(buf, frame.type, frame.flags);
  switch (frame.type) {
    case PacketType.Connack:
      return decodeConnack(buf, off, length, out, version);
    case PacketType.Publish:
      return decodePublish(buf, off, length, out, version, words);
    case PacketType.Puback:
    case PacketType.Pubrec:
    case PacketType.Pubrel:
    case PacketType.Pubcomp:
      return decodeAck(buf, off, length, out, version);
    case PacketType.Suback:
      return decodeSuback(buf, off, length, out, version);
    case PacketType.Unsuback:
      return decodeUnsuback(buf, off, length, out, version);
    case PacketType.Pingresp:
      return decodePingresp(length);
    case PacketType.Disconnect:
      if (version !== ProtocolVersion.V5) return DecodeError.UnexpectedPacketType; // 3.1.1: only the client sends it
      return decodeDisconnect(buf, off, length, out);
    case PacketType.Auth:
      if (version !== ProtocolVersion.V5) return DecodeError.ReservedPacketType; // §2.2.1: 15 is reserved in 3.1.1
      return decodeAuth(buf, off, length, out);
    default:
      return DecodeError.UnexpectedPacketType; // a server never sends CONNECT, SUBSCRIBE, UNSUBSCRIBE or PINGREQ
  }
}
