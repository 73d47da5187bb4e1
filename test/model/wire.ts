/**
 * The broker's end of the wire for the model check, written apart from the client's codec so the two do
 * not share a mistake: a strict decoder of what a client sends (every packet a client may send, checked
 * against the fixed-header rules of §2.2 and its own section), and encoders of what a broker sends.
 * This module runs on XS: no Node APIs.
 */

export type ClientPacket =
  | { type: "connect"; clientId: string; clean: boolean; keepalive: number; willTopic: string | null; willQos: number; willRetain: boolean; username: string | null; password: string | null }
  | { type: "publish"; qos: number; dup: boolean; retain: boolean; topic: string; id: number; payload: string }
  | { type: "puback" | "pubrec" | "pubrel" | "pubcomp"; id: number }
  | { type: "subscribe"; id: number; topics: string[]; qos: number[] }
  | { type: "unsubscribe"; id: number; topics: string[] }
  | { type: "pingreq" }
  | { type: "disconnect" };

/** A packet's bytes as text: lowercase hex pairs. Also the payload key of a PUBLISH. */
export function hex(buf: Uint8Array, off: number, length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) {
    const b = buf[off + i];
    out += (b < 16 ? "0" : "") + b.toString(16);
  }
  return out;
}

/** Strict UTF-8 decode (§1.5.3): malformed input, surrogates and U+0000 are errors (null). */
function utf8(buf: Uint8Array, off: number, length: number): string | null {
  let out = "";
  const end = off + length;
  while (off < end) {
    const b = buf[off++];
    let c: number;
    let need: number;
    if (b < 0x80) {
      c = b;
      need = 0;
    } else if (b >= 0xc2 && b < 0xe0) {
      c = b & 0x1f;
      need = 1;
    } else if (b >= 0xe0 && b < 0xf0) {
      c = b & 0x0f;
      need = 2;
    } else if (b >= 0xf0 && b < 0xf5) {
      c = b & 0x07;
      need = 3;
    } else return null;
    if (off + need > end) return null;
    for (let k = 0; k < need; k++) {
      const n = buf[off++];
      if ((n & 0xc0) !== 0x80) return null;
      c = (c << 6) | (n & 0x3f);
    }
    if ((need === 2 && c < 0x800) || (need === 3 && (c < 0x10000 || c > 0x10ffff))) return null;
    if (c === 0 || (c >= 0xd800 && c <= 0xdfff)) return null;
    out += String.fromCodePoint(c);
  }
  return out;
}

export interface Decoded {
  /** Bytes the packet took; 0 if incomplete. */
  length: number;
  packet: ClientPacket | null;
  /** What is wrong with the bytes, when they are not a valid client packet. */
  error: string | null;
}

const INCOMPLETE: Decoded = { length: 0, packet: null, error: null };

/** Decodes the client packet at buf[off..end): a packet, incomplete, or the rule the bytes break. */
export function decodeClientPacket(buf: Uint8Array, off: number, end: number): Decoded {
  if (end - off < 2) return INCOMPLETE;
  const first = buf[off];
  const type = first >> 4;
  const flags = first & 15;
  let remaining = 0;
  let multiplier = 1;
  let at = off + 1;
  for (;;) {
    if (at >= end) return INCOMPLETE;
    const b = buf[at++];
    remaining += (b & 127) * multiplier;
    if ((b & 128) === 0) break;
    multiplier *= 128;
    if (at - off > 4) return fail("remaining length over four bytes [§2.2.3]");
  }
  // A client writes the shortest encoding (§2.2.3 says "the minimum number of bytes").
  const lengthBytes = at - off - 1;
  if (lengthBytes > 1 && remaining < Math.pow(128, lengthBytes - 1)) return fail("remaining length not in its shortest form");
  if (end - at < remaining) return INCOMPLETE;
  const total = at - off + remaining;
  const body = at;
  const bodyEnd = at + remaining;
  const done = (packet: ClientPacket): Decoded => ({ length: total, packet, error: null });
  const u16 = (p: number) => (buf[p] << 8) | buf[p + 1];
  const str = (p: number): [string, number] | null => {
    if (p + 2 > bodyEnd) return null;
    const n = u16(p);
    if (p + 2 + n > bodyEnd) return null;
    const s = utf8(buf, p + 2, n);
    return s === null ? null : [s, p + 2 + n];
  };
  switch (type) {
    case 1: {
      if (flags !== 0) return fail("CONNECT flags [MQTT-2.2.2-2]");
      const name = str(body);
      if (!name || name[0] !== "MQTT") return fail("CONNECT protocol name [MQTT-3.1.2-1]");
      let p = name[1];
      if (buf[p] !== 4) return fail("CONNECT protocol level is not 4");
      const cf = buf[p + 1];
      if (cf & 1) return fail("CONNECT reserved flag [MQTT-3.1.2-3]");
      const keepalive = u16(p + 2);
      p += 4;
      const id = str(p);
      if (!id) return fail("CONNECT client id");
      p = id[1];
      let willTopic: string | null = null;
      const will = (cf & 4) !== 0;
      if (!will && (cf & 0x38) !== 0) return fail("CONNECT will QoS/retain without a will [MQTT-3.1.2-11]");
      if (will) {
        const t = str(p);
        if (!t) return fail("CONNECT will topic");
        willTopic = t[0];
        if (p + 2 > bodyEnd) return fail("CONNECT will payload");
        p = t[1] + 2 + u16(t[1]);
      }
      let username: string | null = null;
      let password: string | null = null;
      if (cf & 0x80) {
        const u = str(p);
        if (!u) return fail("CONNECT user name");
        username = u[0];
        p = u[1];
      } else if (cf & 0x40) return fail("CONNECT password without user name [MQTT-3.1.2-22]");
      if (cf & 0x40) {
        if (p + 2 > bodyEnd) return fail("CONNECT password");
        password = hex(buf, p + 2, u16(p));
        p += 2 + u16(p);
      }
      if (p !== bodyEnd) return fail("CONNECT length");
      return done({ type: "connect", clientId: id[0], clean: (cf & 2) !== 0, keepalive, willTopic, willQos: (cf >> 3) & 3, willRetain: (cf & 0x20) !== 0, username, password });
    }
    case 3: {
      const qos = (flags >> 1) & 3;
      if (qos === 3) return fail("PUBLISH QoS 3 [MQTT-3.3.1-4]");
      const dup = (flags & 8) !== 0;
      if (qos === 0 && dup) return fail("PUBLISH QoS 0 with DUP [MQTT-3.3.1-2]");
      const t = str(body);
      if (!t || t[0].length === 0) return fail("PUBLISH topic [MQTT-4.7.3-1]");
      if (t[0].indexOf("+") >= 0 || t[0].indexOf("#") >= 0) return fail("PUBLISH topic with a wildcard [MQTT-3.3.2-2]");
      let p = t[1];
      let id = 0;
      if (qos > 0) {
        if (p + 2 > bodyEnd) return fail("PUBLISH packet id");
        id = u16(p);
        if (id === 0) return fail("PUBLISH packet id 0 [MQTT-2.3.1-1]");
        p += 2;
      }
      return done({ type: "publish", qos, dup, retain: (flags & 1) !== 0, topic: t[0], id, payload: hex(buf, p, bodyEnd - p) });
    }
    case 4:
    case 5:
    case 6:
    case 7: {
      const wanted = type === 6 ? 2 : 0;
      if (flags !== wanted) return fail("ack flags [MQTT-2.2.2-2]");
      if (remaining !== 2) return fail("ack length");
      const id = u16(body);
      if (id === 0) return fail("ack packet id 0 [MQTT-2.3.1-1]");
      return done({ type: type === 4 ? "puback" : type === 5 ? "pubrec" : type === 6 ? "pubrel" : "pubcomp", id });
    }
    case 8:
    case 10: {
      if (flags !== 2) return fail("(UN)SUBSCRIBE flags [MQTT-3.8.1-1] [MQTT-3.10.1-1]");
      if (remaining < 2) return fail("(UN)SUBSCRIBE length");
      const id = u16(body);
      if (id === 0) return fail("(UN)SUBSCRIBE packet id 0 [MQTT-2.3.1-1]");
      const topics: string[] = [];
      const qos: number[] = [];
      let p = body + 2;
      while (p < bodyEnd) {
        const t = str(p);
        if (!t || t[0].length === 0) return fail("(UN)SUBSCRIBE filter");
        topics.push(t[0]);
        p = t[1];
        if (type === 8) {
          if (p >= bodyEnd || buf[p] > 2) return fail("SUBSCRIBE requested QoS [MQTT-3.8.3-4]");
          qos.push(buf[p++]);
        }
      }
      if (topics.length === 0) return fail("(UN)SUBSCRIBE without a filter [MQTT-3.8.3-3] [MQTT-3.10.3-2]");
      return done(type === 8 ? { type: "subscribe", id, topics, qos } : { type: "unsubscribe", id, topics });
    }
    case 12:
      if (flags !== 0 || remaining !== 0) return fail("PINGREQ form");
      return done({ type: "pingreq" });
    case 14:
      if (flags !== 0 || remaining !== 0) return fail("DISCONNECT form");
      return done({ type: "disconnect" });
    default:
      return fail("packet type " + type + " is not one a client sends");
  }
}

function fail(error: string): Decoded {
  return { length: -1, packet: null, error };
}

// ---- What the broker sends --------------------------------------------------------------------------

function encodeUtf8(text: string, out: number[]): void {
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.length) {
      c = 0x10000 + ((c - 0xd800) << 10) + (text.charCodeAt(++i) - 0xdc00);
    }
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
}

function frame(first: number, body: number[]): number[] {
  const out = [first];
  let n = body.length;
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 128;
    out.push(b);
  } while (n > 0);
  for (let i = 0; i < body.length; i++) out.push(body[i]);
  return out;
}

export const connack = (sessionPresent: boolean, returnCode: number) => [0x20, 2, sessionPresent ? 1 : 0, returnCode];
export const ack = (first: number, id: number) => [first, 2, id >> 8, id & 255];
export const PUBACK = 0x40;
export const PUBREC = 0x50;
export const PUBREL = 0x62;
export const PUBCOMP = 0x70;
export const UNSUBACK = 0xb0;
export const pingresp = () => [0xd0, 0];

/** The fixed header of a packet of `first` byte whose Remaining Length is `remaining` (no body). */
export function header(first: number, remaining: number): number[] {
  const out = [first];
  let n = remaining;
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 128;
    out.push(b);
  } while (n > 0);
  return out;
}

export function suback(id: number, codes: number[]): number[] {
  return frame(0x90, [id >> 8, id & 255, ...codes]);
}

/** A PUBLISH from the broker; `payloadLength` bytes of a pattern derived from `seed`. */
export function publish(topic: string, qos: number, retain: boolean, dup: boolean, id: number, seed: number, payloadLength: number): number[] {
  const body: number[] = [];
  const t: number[] = [];
  encodeUtf8(topic, t);
  body.push(t.length >> 8, t.length & 255, ...t);
  if (qos > 0) body.push(id >> 8, id & 255);
  for (let i = 0; i < payloadLength; i++) body.push(0x61 + ((seed + i) % 26));
  return frame(0x30 | (dup ? 8 : 0) | (qos << 1) | (retain ? 1 : 0), body);
}

/** The payload publish() writes, as the text the client's view would decode. */
export function payloadText(seed: number, payloadLength: number): string {
  let s = "";
  for (let i = 0; i < payloadLength; i++) s += String.fromCharCode(0x61 + ((seed + i) % 26));
  return s;
}

/** UTF-8 bytes of a string as hex (what a PUBLISH of this payload carries). */
export function utf8Hex(text: string): string {
  const out: number[] = [];
  encodeUtf8(text, out);
  return hex(Uint8Array.from(out), 0, out.length);
}

/** Size of a PUBLISH with this topic and payload (bytes), as the client encodes it. */
export function publishSize(topic: string, payloadBytes: number, qos: number): number {
  const t: number[] = [];
  encodeUtf8(topic, t);
  const remaining = 2 + t.length + (qos > 0 ? 2 : 0) + payloadBytes;
  return 1 + (remaining < 128 ? 1 : remaining < 16384 ? 2 : remaining < 2097152 ? 3 : 4) + remaining;
}

export function utf8Length(text: string): number {
  const out: number[] = [];
  encodeUtf8(text, out);
  return out.length;
}
