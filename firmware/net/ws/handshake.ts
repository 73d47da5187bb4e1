/**
 * The WebSocket opening handshake, client side (RFC 6455 section 4.1): the HTTP/1.1 Upgrade request,
 * written once into a fixed buffer with a fresh Sec-WebSocket-Key per connection, and a streaming parser
 * of the server's 101 response that checks Upgrade, Connection, Sec-WebSocket-Accept, the subprotocol
 * and extensions. Allocates at construction only (the request text is encoded once).
 */
import { WebSocketCause } from "./causes.js";
import { base64Encode, Sha1 } from "./sha1.js";

/** RFC 6455 section 1.3: the GUID appended to the key before hashing. */
const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** What the Upgrade request names. */
export interface HandshakeTarget {
  /** The Host header: the broker's host name (or address). */
  host: string;
  port: number;
  /** The resource, e.g. "/mqtt" (aedes, mosquitto and EMQX take "/mqtt"; some brokers "/"). */
  path: string;
  /** Sec-WebSocket-Protocol: "mqtt" (MQTT 3.1.1 and 5 section 6). */
  protocol?: string;
  /** The port the scheme implies (80 for ws, 443 for wss): then Host carries no port (RFC 6455 section 4.1 item 4). */
  defaultPort?: number;
}

/** Writes a string's character codes (ASCII) into out at `at`; returns the position after. */
function ascii(text: string, out: Uint8Array, at: number): number {
  for (let i = 0; i < text.length; i++) out[at + i] = text.charCodeAt(i) & 0xff;
  return at + text.length;
}

/** The result of HandshakeParser.feed. */
export const Handshake = Object.freeze({ NeedMore: -1, Done: 0 } as const);

/** The client's half: the request bytes, and what the response must carry for the key it sent. */
export class HandshakeRequest {
  /** The request; bytes [0, length). */
  readonly bytes: Uint8Array;
  readonly length: number;
  /** Where the 24 base64 characters of the key go. */
  private readonly keyAt: number;
  /** base64(SHA-1(key + GUID)): 28 characters. */
  readonly accept = new Uint8Array(28);
  /** The subprotocol asked for, as bytes (compared with the response's). */
  readonly protocol: Uint8Array;
  private readonly sha1 = new Sha1(60);
  private readonly keyBytes = new Uint8Array(16);
  /** key (24) + GUID (36), hashed. */
  private readonly keyed = new Uint8Array(60);
  private readonly digestOut = new Uint8Array(20);

  constructor(target: HandshakeTarget) {
    const protocol = target.protocol ?? "mqtt";
    const host = target.port === (target.defaultPort ?? -1) ? target.host : target.host + ":" + target.port;
    const head = "GET " + (target.path || "/") + " HTTP/1.1\r\nHost: " + host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ";
    const tail = "\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: " + protocol + "\r\n\r\n";
    this.bytes = new Uint8Array(head.length + 24 + tail.length);
    this.keyAt = head.length;
    ascii(head, this.bytes, 0);
    this.length = ascii(tail, this.bytes, head.length + 24);
    this.protocol = new Uint8Array(protocol.length);
    ascii(protocol, this.protocol, 0);
    ascii(GUID, this.keyed, 24);
  }

  /**
   * A fresh Sec-WebSocket-Key (16 random bytes, base64: section 4.1 item 7) written into the request, and
   * the Sec-WebSocket-Accept it implies (section 4.2.2 item 5.4).
   * @param random - a source of uniform numbers in [0, 1), e.g. Math.random (the key need only be fresh)
   */
  newKey(random: () => number): void {
    const key = this.keyBytes;
    for (let i = 0; i < 16; i++) key[i] = (random() * 256) & 0xff;
    this.setKey(key);
  }

  /** Uses these 16 bytes as the key (tests use RFC 6455's example key). */
  setKey(key: Uint8Array): void {
    base64Encode(key, 0, 16, this.bytes, this.keyAt);
    for (let i = 0; i < 24; i++) this.keyed[i] = this.bytes[this.keyAt + i];
    this.sha1.digest(this.keyed, 0, 60, this.digestOut, 0);
    base64Encode(this.digestOut, 0, 20, this.accept, 0);
  }
}

/** Lower-case ASCII. */
function lower(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

const NAME_UPGRADE = 1;
const NAME_CONNECTION = 2;
const NAME_ACCEPT = 3;
const NAME_PROTOCOL = 4;
const NAME_EXTENSIONS = 5;
const NAMES = Object.freeze(["upgrade", "connection", "sec-websocket-accept", "sec-websocket-protocol", "sec-websocket-extensions"]);

/**
 * The server's response, fed in pieces of any size (split at every byte in the tests). Lines longer
 * than the line buffer keep their first bytes only (no header we check is that long).
 */
export class HandshakeParser {
  /** After Done: the offset in the last fed buffer of the first byte after the response (a frame's). */
  pos = 0;
  /** The status code of the response (set once the status line is read). */
  status = 0;
  private readonly line: Uint8Array;
  private lineLength = 0;
  private lineCount = 0;
  private total = 0;
  private seen = 0;
  private failed = 0;
  private lastCR = false;
  private readonly maxTotal: number;
  private readonly names: Uint8Array[];
  private request: HandshakeRequest | null = null;

  constructor(lineSize = 256, maxTotal = 4096) {
    this.line = new Uint8Array(lineSize);
    this.maxTotal = maxTotal;
    this.names = NAMES.map((name) => {
      const bytes = new Uint8Array(name.length);
      ascii(name, bytes, 0);
      return bytes;
    });
  }

  /** Starts on a new response to `request` (after its newKey). */
  reset(request: HandshakeRequest): void {
    this.request = request;
    this.lineLength = 0;
    this.lineCount = 0;
    this.total = 0;
    this.seen = 0;
    this.failed = 0;
    this.lastCR = false;
    this.status = 0;
    this.pos = 0;
  }

  /**
   * Takes src[from, to). Returns Handshake.NeedMore (all taken), Handshake.Done (the response ended and
   * was accepted; `pos` is where the frames start), or a WebSocketCause.
   */
  feed(src: Uint8Array, from: number, to: number): number {
    if (this.failed !== 0) return this.failed;
    for (let i = from; i < to; i++) {
      const c = src[i];
      if (++this.total > this.maxTotal) return (this.failed = WebSocketCause.HandshakeIncomplete);
      if (c === 10 && this.lastCR) {
        this.lastCR = false;
        const result = this.endLine();
        if (result !== Handshake.NeedMore) {
          this.pos = i + 1;
          if (result !== Handshake.Done) this.failed = result;
          return result;
        }
        continue;
      }
      if (this.lastCR) this.push(13); // a lone CR inside a line: keep it
      this.lastCR = c === 13;
      if (!this.lastCR) this.push(c);
    }
    return Handshake.NeedMore;
  }

  private push(c: number): void {
    if (this.lineLength < this.line.length) this.line[this.lineLength] = c;
    this.lineLength++;
  }

  /** A line ended (CRLF): the status line, a header, or the empty line that ends the response. */
  private endLine(): number {
    const line = this.line;
    const length = this.lineLength < line.length ? this.lineLength : line.length;
    this.lineLength = 0;
    if (this.lineCount++ === 0) {
      // "HTTP/1.1 101 Switching Protocols": the code is the 3 digits after the first space (section 4.1 item 1).
      let sp = 0;
      while (sp < length && line[sp] !== 32) sp++;
      let status = 0;
      for (let j = sp + 1; j < sp + 4 && j < length; j++) status = status * 10 + (line[j] - 48);
      this.status = status;
      return status === 101 && sp === 8 && line[0] === 72 ? Handshake.NeedMore : WebSocketCause.HandshakeRefused;
    }
    if (length === 0) {
      // Section 4.1 items 2-4: Upgrade, Connection and the right Accept are required.
      const all = (1 << NAME_UPGRADE) | (1 << NAME_CONNECTION) | (1 << NAME_ACCEPT);
      return (this.seen & all) === all ? Handshake.Done : WebSocketCause.HandshakeInvalid;
    }
    let colon = 0;
    while (colon < length && line[colon] !== 58) colon++;
    let start = colon + 1;
    while (start < length && (line[start] === 32 || line[start] === 9)) start++;
    let end = length;
    while (end > start && (line[end - 1] === 32 || line[end - 1] === 9)) end--;
    const which = this.nameOf(colon);
    const request = this.request!;
    switch (which) {
      case NAME_UPGRADE:
        if (!this.valueIs(start, end, "websocket", null)) return WebSocketCause.HandshakeInvalid;
        break;
      case NAME_CONNECTION:
        if (!this.hasToken(start, end)) return WebSocketCause.HandshakeInvalid;
        break;
      case NAME_ACCEPT:
        if (!this.valueIs(start, end, null, request.accept)) return WebSocketCause.HandshakeInvalid;
        break;
      case NAME_PROTOCOL:
        // Section 4.1 item 6: a subprotocol the client did not ask for fails the connection.
        if (!this.valueIs(start, end, null, request.protocol)) return WebSocketCause.SubprotocolRefused;
        break;
      case NAME_EXTENSIONS:
        // Section 4.1 item 5: we asked for none.
        if (end > start) return WebSocketCause.HandshakeInvalid;
        break;
    }
    if (which > 0) this.seen |= 1 << which;
    return Handshake.NeedMore;
  }

  /** Which checked header the name line[0, colon) is (case-insensitive), or 0. */
  private nameOf(colon: number): number {
    const names = this.names;
    for (let n = 0; n < names.length; n++) {
      const name = names[n];
      if (name.length !== colon) continue;
      let j = 0;
      while (j < colon && lower(this.line[j]) === name[j]) j++;
      if (j === colon) return n + 1;
    }
    return 0;
  }

  /** line[start, end) equals `text` case-insensitively, or `bytes` exactly. */
  private valueIs(start: number, end: number, text: string | null, bytes: Uint8Array | null): boolean {
    const line = this.line;
    if (bytes !== null) {
      if (end - start !== bytes.length) return false;
      for (let j = 0; j < bytes.length; j++) if (line[start + j] !== bytes[j]) return false;
      return true;
    }
    const t = text!;
    if (end - start !== t.length) return false;
    for (let j = 0; j < t.length; j++) if (lower(line[start + j]) !== t.charCodeAt(j)) return false;
    return true;
  }

  /** The Connection header's comma-separated list holds "upgrade" (case-insensitive). */
  private hasToken(start: number, end: number): boolean {
    const line = this.line;
    let i = start;
    while (i < end) {
      while (i < end && (line[i] === 32 || line[i] === 44 || line[i] === 9)) i++;
      let j = i;
      while (j < end && line[j] !== 44) j++;
      let k = j;
      while (k > i && (line[k - 1] === 32 || line[k - 1] === 9)) k--;
      if (k - i === 7 && this.valueIs(i, k, "upgrade", null)) return true;
      i = j;
    }
    return false;
  }
}
