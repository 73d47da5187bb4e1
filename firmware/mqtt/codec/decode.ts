/**
 * Decodes one framed packet from the broker into the reused IncomingPacket: the step after frame.ts.
 * Never throws: a malformed packet gives a negative DecodeError, which the client turns into a
 * disconnect with reasonCodeOf(error).
 */
import { PacketType, ProtocolVersion, type IncomingPacket } from "./packet.js";
import { decodeAck } from "./packets/acks.js";
import { decodeConnack } from "./packets/connect.js";
import { decodePingresp } from "./packets/ping.js";
import { decodePublish } from "./packets/publish.js";
import { decodeSuback } from "./packets/subscribe.js";
import { decodeUnsuback } from "./packets/unsubscribe.js";
import { DecodeError } from "./status.js";
import type { FrameReader } from "./frame.js";

/**
 * Decodes the packet whose header `frame` just read (FrameReader.read returned its length) from `buf`.
 * Returns 0 with `out` filled, or a DecodeError.
 */
export function decodePacket(buf: Uint8Array, frame: FrameReader, out: IncomingPacket, version: ProtocolVersion): number {
  if (version !== ProtocolVersion.V311) return DecodeError.UnsupportedProtocolVersion;
  const off = frame.bodyOffset;
  const length = frame.remainingLength;
  out.reset(buf, frame.type, frame.flags);
  switch (frame.type) {
    case PacketType.Connack:
      return decodeConnack(buf, off, length, out);
    case PacketType.Publish:
      return decodePublish(buf, off, length, out);
    case PacketType.Puback:
    case PacketType.Pubrec:
    case PacketType.Pubrel:
    case PacketType.Pubcomp:
      return decodeAck(buf, off, length, out);
    case PacketType.Suback:
      return decodeSuback(buf, off, length, out);
    case PacketType.Unsuback:
      return decodeUnsuback(buf, off, length, out);
    case PacketType.Pingresp:
      return decodePingresp(length);
    default:
      return DecodeError.UnexpectedPacketType; // a server never sends CONNECT, SUBSCRIBE, UNSUBSCRIBE, PINGREQ, DISCONNECT (3.1.1)
  }
}
