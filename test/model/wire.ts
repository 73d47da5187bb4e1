/**
 * The broker's end of the wire for the model check, written apart from the client's codec so the two do
 * not share a mistake: a strict decoder of what a client sends (every packet a client may send, checked
 * against the fixed-header rules of §2.2 and its own section), and encoders of what a broker sends.
 * This module runs on XS: no Node APIs.
 */

export type ClientPacket =
  | { type: "connect"; clientId: string; clean: boolean; keepalive: number; willTopic: string | null; willQos: number; willRetain: boolean; username: string | null; password: string | null; level: number; props: Props }
  | { type: "publish"; qos: number; dup: boolean; retain: boolean; topic: string; id: number; payload: string; size: number; props: Props }
  | { type: "puback" | "pubrec" | "pubrel" | "pubcomp"; id: number; reason: number }
  | { type: "subscribe"; id: number; topics: string[]; qos: number[] }
  | { type: "unsubscribe"; id: number; topics: string[] }
  | { type: "pingreq" }
  | { type: "disconnect"; reason: number };

/** A 5.0 property block as read: each property by its identifier (a User Property's values are not kept); empty in 3.1.1. */
export type Props = Record<number, number | string>;

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
export function decodeClientPacket(buf: Uint8Array, off: number, end: number, version = 4): Decoded {
  const v5 = version === 5;
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
  /** 5.0 (§2.2.2): a property block at p, for packet `kind`: [properties, next offset] or the rule broken. */
  const props = (p: number, kind: string): [Props, number] | string => {
    const len = varint(buf, p, bodyEnd);
    if (len === null) return kind + " property length";
    p = len[1];
    const stop = p + len[0];
    if (stop > bodyEnd) return kind + " property length beyond the packet";
    const out: Props = {};
    while (p < stop) {
      const id = buf[p++];
      const form = PROPERTY_FORMS[id];
      if (form === undefined || (ALLOWED[kind] ?? "").indexOf("," + id + ",") < 0) return `${kind} property 0x${id.toString(16)} not allowed [§2.2.2.2]`;
      if (id !== 0x26 && out[id] !== undefined) return `${kind} property 0x${id.toString(16)} twice [§2.2.2.2]`;
      if (form === "b") {
        if (p + 1 > stop) return kind + " property";
        out[id] = buf[p++];
      } else if (form === "2") {
        if (p + 2 > stop) return kind + " property";
        out[id] = u16(p);
        p += 2;
      } else if (form === "4") {
        if (p + 4 > stop) return kind + " property";
        out[id] = ((buf[p] << 24) >>> 0) + (buf[p + 1] << 16) + (buf[p + 2] << 8) + buf[p + 3];
        p += 4;
      } else if (form === "v") {
        const v = varint(buf, p, stop);
        if (v === null) return kind + " property";
        out[id] = v[0];
        p = v[1];
      } else {
        // s: a UTF-8 string; d: binary data; p: a string pair
        for (let k = 0; k < (form === "p" ? 2 : 1); k++) {
          if (p + 2 > stop) return kind + " property";
          const n = u16(p);
          if (p + 2 + n > stop) return kind + " property";
          if (form !== "d") {
            const t = utf8(buf, p + 2, n);
            if (t === null) return kind + " property string [MQTT-1.5.4-1]";
            out[id] = form === "p" ? "pair" : t;
          } else out[id] = hex(buf, p + 2, n);
          p += 2 + n;
        }
      }
    }
    return [out, stop];
  };
  switch (type) {
    case 1: {
      if (flags !== 0) return fail("CONNECT flags [MQTT-2.2.2-2]");
      const name = str(body);
      if (!name || name[0] !== "MQTT") return fail("CONNECT protocol name [MQTT-3.1.2-1]");
      let p = name[1];
      const level = buf[p];
      if (level !== version) return fail(`CONNECT protocol level is ${level}, not ${version}`);
      const cf = buf[p + 1];
      if (cf & 1) return fail("CONNECT reserved flag [MQTT-3.1.2-3]");
      const keepalive = u16(p + 2);
      p += 4;
      let connectProps: Props = {};
      if (v5) {
        const r = props(p, "CONNECT");
        if (typeof r === "string") return fail(r);
        [connectProps, p] = r;
      }
      const id = str(p);
      if (!id) return fail("CONNECT client id");
      p = id[1];
      let willTopic: string | null = null;
      const will = (cf & 4) !== 0;
      if (!will && (cf & 0x38) !== 0) return fail("CONNECT will QoS/retain without a will [MQTT-3.1.2-11]");
      if (will) {
        if (v5) {
          const r = props(p, "will");
          if (typeof r === "string") return fail(r);
          p = r[1];
        }
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
      return done({ type: "connect", clientId: id[0], clean: (cf & 2) !== 0, keepalive, willTopic, willQos: (cf >> 3) & 3, willRetain: (cf & 0x20) !== 0, username, password, level, props: connectProps });
    }
    case 3: {
      const qos = (flags >> 1) & 3;
      if (qos === 3) return fail("PUBLISH QoS 3 [MQTT-3.3.1-4]");
      const dup = (flags & 8) !== 0;
      if (qos === 0 && dup) return fail("PUBLISH QoS 0 with DUP [MQTT-3.3.1-2]");
      const t = str(body);
      if (!t || (t[0].length === 0 && !v5)) return fail("PUBLISH topic [MQTT-4.7.3-1]");
      if (t[0].indexOf("+") >= 0 || t[0].indexOf("#") >= 0) return fail("PUBLISH topic with a wildcard [MQTT-3.3.2-2]");
      let p = t[1];
      let id = 0;
      if (qos > 0) {
        if (p + 2 > bodyEnd) return fail("PUBLISH packet id");
        id = u16(p);
        if (id === 0) return fail("PUBLISH packet id 0 [MQTT-2.3.1-1]");
        p += 2;
      }
      let publishProps: Props = {};
      if (v5) {
        const r = props(p, "PUBLISH");
        if (typeof r === "string") return fail(r);
        [publishProps, p] = r;
        // 5.0: an empty topic only with a Topic Alias (§3.3.2.1), which is never 0 [MQTT-3.3.2-8]
        if (t[0].length === 0 && publishProps[0x23] === undefined) return fail("PUBLISH with no topic and no Topic Alias [MQTT-3.3.2-1]");
        if (publishProps[0x23] === 0) return fail("PUBLISH with Topic Alias 0 [MQTT-3.3.2-8]");
      }
      return done({ type: "publish", qos, dup, retain: (flags & 1) !== 0, topic: t[0], id, payload: hex(buf, p, bodyEnd - p), size: total, props: publishProps });
    }
    case 4:
    case 5:
    case 6:
    case 7: {
      const wanted = type === 6 ? 2 : 0;
      if (flags !== wanted) return fail("ack flags [MQTT-2.2.2-2]");
      if (v5 ? remaining < 2 : remaining !== 2) return fail("ack length");
      const id = u16(body);
      if (id === 0) return fail("ack packet id 0 [MQTT-2.3.1-1]");
      const kind = type === 4 ? "puback" : type === 5 ? "pubrec" : type === 6 ? "pubrel" : "pubcomp";
      let reason = 0;
      if (remaining > 2) {
        reason = buf[body + 2];
        const valid = type === 4 || type === 5 ? PUBLISH_ACK_REASONS.indexOf(reason) >= 0 : reason === 0 || reason === 0x92;
        if (!valid) return fail(`${kind} reason code 0x${reason.toString(16)} [§3.4.2.1]`);
        if (remaining > 3) {
          const r = props(body + 3, kind);
          if (typeof r === "string") return fail(r);
          if (r[1] !== bodyEnd) return fail(kind + " length");
        }
      }
      return done({ type: kind, id, reason });
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
      if (v5) {
        const r = props(p, type === 8 ? "SUBSCRIBE" : "UNSUBSCRIBE");
        if (typeof r === "string") return fail(r);
        p = r[1];
      }
      while (p < bodyEnd) {
        const t = str(p);
        if (!t || t[0].length === 0) return fail("(UN)SUBSCRIBE filter");
        topics.push(t[0]);
        p = t[1];
        if (type === 8) {
          // 5.0: Subscription Options, bits 6-7 reserved [MQTT-3.8.3-5], Retain Handling 3 a protocol error
          if (p >= bodyEnd || (buf[p] & 3) > 2 || (v5 ? (buf[p] & 0xc0) !== 0 || (buf[p] & 0x30) === 0x30 : buf[p] > 2)) return fail("SUBSCRIBE requested QoS [MQTT-3.8.3-4] or options [MQTT-3.8.3-5]");
          qos.push(buf[p++] & 3);
        }
      }
      if (topics.length === 0) return fail("(UN)SUBSCRIBE without a filter [MQTT-3.8.3-3] [MQTT-3.10.3-2]");
      return done(type === 8 ? { type: "subscribe", id, topics, qos } : { type: "unsubscribe", id, topics });
    }
    case 12:
      if (flags !== 0 || remaining !== 0) return fail("PINGREQ form");
      return done({ type: "pingreq" });
    case 14: {
      if (flags !== 0 || (v5 ? false : remaining !== 0)) return fail("DISCONNECT form");
      const reason = remaining > 0 ? buf[body] : 0;
      if (remaining > 1) {
        const r = props(body + 1, "DISCONNECT");
        if (typeof r === "string") return fail(r);
        if (r[1] !== bodyEnd) return fail("DISCONNECT length");
      }
      return done({ type: "disconnect", reason });
    }
    default:
      return fail("packet type " + type + " is not one a client sends");
  }
}

function fail(error: string): Decoded {
  return { length: -1, packet: null, error };
}

/** A Variable Byte Integer at p (before end): [value, next offset], or null if malformed (§1.5.5). */
function varint(buf: Uint8Array, p: number, end: number): [number, number] | null {
  let value = 0;
  let multiplier = 1;
  for (let k = 0; k < 4; k++) {
    if (p >= end) return null;
    const b = buf[p++];
    value += (b & 127) * multiplier;
    if ((b & 128) === 0) return k > 0 && b === 0 ? null : [value, p];
    multiplier *= 128;
  }
  return null;
}

/** §2.2.2.2 Table 2-4: each property's form (b byte, 2 two bytes, 4 four bytes, v variable, s string, d binary, p string pair). */
const PROPERTY_FORMS: Record<number, string> = {
  0x01: "b", 0x02: "4", 0x03: "s", 0x08: "s", 0x09: "d", 0x0b: "v", 0x11: "4", 0x12: "s", 0x13: "2", 0x15: "s", 0x16: "d", 0x17: "b",
  0x18: "4", 0x19: "b", 0x1a: "s", 0x1c: "s", 0x1f: "s", 0x21: "2", 0x22: "2", 0x23: "2", 0x24: "b", 0x25: "b", 0x26: "p", 0x27: "4",
  0x28: "b", 0x29: "b", 0x2a: "b",
};

/** Which properties each packet a client sends may carry (§3.x.2.2). */
const ALLOWED: Record<string, string> = {
  CONNECT: ",17,33,34,39,25,23,38,21,22,",
  will: ",24,1,2,3,8,9,38,",
  PUBLISH: ",1,2,35,8,9,38,3,",
  puback: ",31,38,", pubrec: ",31,38,", pubrel: ",31,38,", pubcomp: ",31,38,",
  SUBSCRIBE: ",11,38,",
  UNSUBSCRIBE: ",38,",
  DISCONNECT: ",17,31,38,28,",
};

/** §3.4.2.1 and §3.5.2.1: the reason codes of PUBACK and PUBREC. */
export const PUBLISH_ACK_REASONS = [0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99];

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

/** What a 5.0 CONNACK may say of the server (§3.2.2.3); -1: left out. */
export interface ConnackLimits {
  receiveMaximum: number;
  maximumQoS: number;
  retainAvailable: number;
  maximumPacketSize: number;
  serverKeepAlive: number;
}

function u16Bytes(n: number): number[] {
  return [n >> 8, n & 255];
}

function propertyBlock(body: number[]): number[] {
  return [...header(0, body.length).slice(1), ...body];
}

/** A 5.0 CONNACK with the properties given (§3.2.2.3). */
export function connack5(sessionPresent: boolean, reasonCode: number, l: ConnackLimits | null, topicAliasMaximum = 10): number[] {
  const p: number[] = [];
  if (l) {
    if (l.receiveMaximum >= 0) p.push(0x21, ...u16Bytes(l.receiveMaximum));
    if (l.maximumQoS >= 0) p.push(0x24, l.maximumQoS);
    if (l.retainAvailable >= 0) p.push(0x25, l.retainAvailable);
    if (l.maximumPacketSize >= 0) p.push(0x27, 0, 0, ...u16Bytes(l.maximumPacketSize));
    if (l.serverKeepAlive >= 0) p.push(0x13, ...u16Bytes(l.serverKeepAlive));
    if (topicAliasMaximum >= 0) p.push(0x22, ...u16Bytes(topicAliasMaximum)); // -1: left out (0, the default)
  }
  return frame(0x20, [sessionPresent ? 1 : 0, reasonCode, ...propertyBlock(p)]);
}

/** A 5.0 CONNACK (Success) whose property block is `properties` as they are. */
export function connackWith(sessionPresent: boolean, properties: number[]): number[] {
  return frame(0x20, [sessionPresent ? 1 : 0, 0, ...propertyBlock(properties)]);
}

/** A 5.0 PUBACK/PUBREC/PUBREL/PUBCOMP: the short form for Success without properties, else a reason code and maybe a Reason String. */
export function ack5(first: number, id: number, reasonCode: number, withReasonString: boolean): number[] {
  if (reasonCode === 0 && !withReasonString) return ack(first, id);
  const p: number[] = [];
  if (withReasonString) p.push(0x1f, 0, 2, 0x6f, 0x6b);
  return frame(first, [...u16Bytes(id), reasonCode, ...(p.length > 0 ? propertyBlock(p) : [])]);
}

/** A 5.0 SUBACK or UNSUBACK: an empty property block, then a reason code per filter (§3.9.3, §3.11.3). */
export function suback5(first: number, id: number, codes: number[]): number[] {
  return frame(first, [...u16Bytes(id), 0, ...codes]);
}

/** A 5.0 DISCONNECT from the server (§3.14): Remaining Length 0 for Normal, else a reason code and maybe a Reason String. */
export function disconnect5(reasonCode: number, withReasonString: boolean): number[] {
  if (reasonCode === 0 && !withReasonString) return [0xe0, 0];
  return frame(0xe0, [reasonCode, ...propertyBlock(withReasonString ? [0x1f, 0, 3, 0x62, 0x79, 0x65] : [])]);
}
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
export function publish(topic: string, qos: number, retain: boolean, dup: boolean, id: number, seed: number, payloadLength: number, version = 4, alias = -1): number[] {
  const body: number[] = [];
  const t: number[] = [];
  encodeUtf8(topic, t);
  body.push(t.length >> 8, t.length & 255, ...t);
  if (qos > 0) body.push(id >> 8, id & 255);
  // 5.0: a property block: a Message Expiry Interval on some, a Topic Alias when asked
  if (version === 5) body.push(...propertyBlock([...(seed % 3 === 0 ? [0x02, 0, 0, 0, 60] : []), ...(alias >= 0 ? [0x23, ...u16Bytes(alias)] : [])]));
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
export function publishSize(topic: string, payloadBytes: number, qos: number, version = 4): number {
  const t: number[] = [];
  encodeUtf8(topic, t);
  const remaining = 2 + t.length + (qos > 0 ? 2 : 0) + (version === 5 ? 1 : 0) + payloadBytes;
  return 1 + (remaining < 128 ? 1 : remaining < 16384 ? 2 : remaining < 2097152 ? 3 : 4) + remaining;
}

export function utf8Length(text: string): number {
  const out: number[] = [];
  encodeUtf8(text, out);
  return out.length;
}
