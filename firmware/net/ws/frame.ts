/**
 * WebSocket framing (RFC 6455 section 5), client side: a streaming decoder of the server's frames that
 * takes bytes in pieces of any size (one at a time included) and an encoder of masked client frames.
 * No per-frame objects: the decoder reports one event per step() call through its own fields, control
 * payloads (at most 125 bytes) are gathered in a fixed buffer, and data payloads are reported as spans
 * of the caller's buffer, passed through as they arrive (MQTT bytes are a stream: no message is
 * buffered whole).
 */
import { WebSocketCause } from "./causes.js";

/** Opcodes (section 5.2, 11.8). */
export const Opcode = Object.freeze({ Continuation: 0, Text: 1, Binary: 2, Close: 8, Ping: 9, Pong: 10 } as const);

/** What one FrameDecoder.step() found; a WebSocketCause (positive) when the frame is bad. */
export const FrameEvent = Object.freeze({
  /** Everything given was taken; more bytes are needed. */
  NeedMore: 0,
  /** Data payload bytes: src[dataFrom, dataTo), already unmasked (server frames are not masked). */
  Data: -1,
  /** A Ping; its payload is control[0, controlLength). Answer with a Pong carrying it (section 5.5.2). */
  Ping: -2,
  /** A Pong (unsolicited or not: nothing to do, section 5.5.3). */
  Pong: -3,
  /** A Close; closeCode is its status code (1005 when it has none, section 7.1.5). */
  Close: -4,
  /** A data message ended (its final frame's last payload byte was reported). */
  MessageEnd: -5,
} as const);

const HEADER = 0;
const CONTROL = 1;
const DATA = 2;
const FAILED = 3;

/** The server's frames, one step at a time. */
export class FrameDecoder {
  /** Where the last step() stopped in src. */
  pos = 0;
  /** For a Data event: the payload span in src. */
  dataFrom = 0;
  dataTo = 0;
  /** For a Ping/Pong/Close event: the control payload. */
  readonly control = new Uint8Array(125);
  controlLength = 0;
  /** For a Close event: its status code (section 7.1.5). */
  closeCode = 0;
  /** The largest payload a data frame may announce (the maxFrame option). */
  readonly maxFrame: number;

  private state = HEADER;
  private readonly header = new Uint8Array(10);
  private have = 0;
  private need = 2;
  private opcode = 0;
  private fin = false;
  /** Payload bytes of the current frame still to come. */
  private left = 0;
  /** A fragmented data message is in progress (continuations are expected). */
  private inMessage = false;
  private error = 0;

  constructor(maxFrame = 0x7fffffff) {
    this.maxFrame = maxFrame;
  }

  /** Back to the start of a stream (a new connection). */
  reset(): void {
    this.state = HEADER;
    this.have = 0;
    this.need = 2;
    this.left = 0;
    this.inMessage = false;
    this.error = 0;
    this.controlLength = 0;
    this.closeCode = 0;
  }

  /**
   * Decodes from src[from, to) until one event: returns a FrameEvent or a WebSocketCause (then every later
   * call returns the same cause). `pos` is where it stopped; call again from there.
   */
  step(src: Uint8Array, from: number, to: number): number {
    let i = from;
    for (;;) {
      const state = this.state;
      if (state === FAILED) {
        this.pos = i;
        return this.error;
      }
      if (state === DATA) {
        if (this.left === 0) {
          this.state = HEADER;
          if (this.fin) {
            this.inMessage = false;
            this.pos = i;
            return FrameEvent.MessageEnd;
          }
          continue;
        }
        if (i >= to) break;
        const n = to - i < this.left ? to - i : this.left;
        this.left -= n;
        this.dataFrom = i;
        this.dataTo = i + n;
        this.pos = i + n;
        return FrameEvent.Data;
      }
      if (state === CONTROL) {
        while (this.left > 0 && i < to) {
          this.control[this.controlLength++] = src[i++];
          this.left--;
        }
        if (this.left > 0) break;
        this.state = HEADER;
        this.pos = i;
        return this.controlEvent();
      }
      // HEADER: gather 2 bytes, then the extended length (section 5.2).
      while (this.have < this.need && i < to) this.header[this.have++] = src[i++];
      if (this.have < this.need) break;
      if (this.need === 2) {
        const fail = this.checkFirst();
        if (fail !== 0) return this.fail(fail, i);
        const len7 = this.header[1] & 0x7f;
        if (len7 === 126) this.need = 4;
        else if (len7 === 127) this.need = 10;
        if (this.need > 2) continue;
      }
      const fail = this.begin();
      if (fail !== 0) return this.fail(fail, i);
    }
    this.pos = to;
    return FrameEvent.NeedMore;
  }

  private fail(cause: number, at: number): number {
    this.state = FAILED;
    this.error = cause;
    this.pos = at;
    return cause;
  }

  /** The first two bytes: bits, opcode and mask (sections 5.1, 5.2, 5.4, 5.5). */
  private checkFirst(): number {
    const b0 = this.header[0];
    const b1 = this.header[1];
    if ((b0 & 0x70) !== 0) return WebSocketCause.ProtocolError; // RSV1-3 without an extension
    if ((b1 & 0x80) !== 0) return WebSocketCause.ProtocolError; // a server MUST NOT mask (5.1)
    const opcode = b0 & 0x0f;
    const fin = (b0 & 0x80) !== 0;
    if (opcode >= 8) {
      if (opcode > 10) return WebSocketCause.ProtocolError; // reserved control opcode
      if (!fin || (b1 & 0x7f) > 125) return WebSocketCause.ProtocolError; // 5.5: not fragmented, <= 125
    } else if (opcode === Opcode.Continuation) {
      if (!this.inMessage) return WebSocketCause.ProtocolError; // nothing to continue (5.4)
    } else if (opcode === Opcode.Binary) {
      if (this.inMessage) return WebSocketCause.ProtocolError; // a new message inside a fragmented one (5.4)
    } else if (opcode === Opcode.Text) {
      return WebSocketCause.NotBinary;
    } else return WebSocketCause.ProtocolError; // reserved data opcode 3-7
    this.opcode = opcode;
    this.fin = fin;
    return 0;
  }

  /** The header is complete: the payload length, then the payload's state. */
  private begin(): number {
    const h = this.header;
    const len7 = h[1] & 0x7f;
    let length = len7;
    if (len7 === 126) length = (h[2] << 8) | h[3];
    else if (len7 === 127) {
      // 64 bits, most significant bit 0 (5.2); over 2^31 is over any limit here anyway.
      if ((h[2] & 0x80) !== 0) return WebSocketCause.FrameTooLarge;
      if ((h[2] | h[3] | h[4] | h[5]) !== 0 || (h[6] & 0x80) !== 0) return WebSocketCause.FrameTooLarge;
      length = ((h[6] << 24) | (h[7] << 16) | (h[8] << 8) | h[9]) >>> 0;
    }
    this.have = 0;
    this.need = 2;
    if (this.opcode >= 8) {
      this.state = CONTROL;
      this.controlLength = 0;
      this.left = length;
      return 0;
    }
    if (length > this.maxFrame) return WebSocketCause.FrameTooLarge;
    this.inMessage = true;
    this.state = DATA;
    this.left = length;
    return 0;
  }

  private controlEvent(): number {
    switch (this.opcode) {
      case Opcode.Ping: return FrameEvent.Ping;
      case Opcode.Pong: return FrameEvent.Pong;
      default: {
        // Close (5.5.1): a body is a 2-byte status code and then UTF-8 reason; 1 byte is malformed, and
        // so is a code an endpoint may not send (7.4.1: 1005, 1006, 1015, unassigned ones below 3000).
        const n = this.controlLength;
        if (n === 1) return this.fail(WebSocketCause.ProtocolError, this.pos);
        const code = n >= 2 ? (this.control[0] << 8) | this.control[1] : 1005;
        if (n >= 2 && !((code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999))) {
          return this.fail(WebSocketCause.ProtocolError, this.pos);
        }
        this.closeCode = code;
        return FrameEvent.Close;
      }
    }
  }
}

/** The most bytes a client frame header takes: 2 + 8 (64-bit length) + 4 (mask key). */
export const MAX_HEADER = 14;

/**
 * Writes a masked client frame header (sections 5.2, 5.3) at out[at]: FIN set (no fragmentation here),
 * the opcode, the minimal length encoding, the mask bit and the 4-byte key. Returns the header length.
 */
export function encodeHeader(out: Uint8Array, at: number, opcode: number, length: number, maskKey: number): number {
  out[at] = 0x80 | opcode;
  let o = at + 2;
  if (length <= 125) out[at + 1] = 0x80 | length;
  else if (length <= 0xffff) {
    out[at + 1] = 0x80 | 126;
    out[o++] = length >>> 8;
    out[o++] = length;
  } else {
    out[at + 1] = 0x80 | 127;
    for (let k = 0; k < 4; k++) out[o++] = 0;
    out[o++] = length >>> 24;
    out[o++] = length >>> 16;
    out[o++] = length >>> 8;
    out[o++] = length;
  }
  out[o++] = maskKey >>> 24;
  out[o++] = maskKey >>> 16;
  out[o++] = maskKey >>> 8;
  out[o++] = maskKey;
  return o - at;
}

/** The header length encodeHeader writes for a payload of `length` bytes. */
export function headerLength(length: number): number {
  return length <= 125 ? 6 : length <= 0xffff ? 8 : 14;
}

/**
 * Copies src[from, from + length) into out[at] masked with maskKey (section 5.3: octet i XOR key octet
 * i mod 4, the key's most significant octet first). src and out may be the same array at the same offset.
 */
export function maskInto(src: Uint8Array, from: number, length: number, out: Uint8Array, at: number, maskKey: number): void {
  const k0 = maskKey >>> 24;
  const k1 = (maskKey >>> 16) & 0xff;
  const k2 = (maskKey >>> 8) & 0xff;
  const k3 = maskKey & 0xff;
  let i = 0;
  for (; i + 3 < length; i += 4) {
    out[at + i] = src[from + i] ^ k0;
    out[at + i + 1] = src[from + i + 1] ^ k1;
    out[at + i + 2] = src[from + i + 2] ^ k2;
    out[at + i + 3] = src[from + i + 3] ^ k3;
  }
  for (; i < length; i++) out[at + i] = src[from + i] ^ ((maskKey >>> (24 - 8 * (i & 3))) & 0xff);
}
