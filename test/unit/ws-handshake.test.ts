// The WebSocket opening handshake, client side (firmware/net/ws/handshake.ts; RFC 6455 section 4.1):
// the request's bytes, the key and its Accept (the RFC's own example), and the response parser fed whole,
// split at every byte and a byte at a time, with each way a response can be refused.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { WebSocketCause } from "../../firmware/net/ws/causes.js";
import { Handshake, HandshakeParser, HandshakeRequest } from "../../firmware/net/ws/handshake.js";

const RFC_KEY = Buffer.from("the sample nonce");
const RFC_ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

function request(): HandshakeRequest {
  const r = new HandshakeRequest({ host: "broker.local", port: 8080, path: "/mqtt" });
  r.setKey(Uint8Array.from(RFC_KEY));
  return r;
}

const text = (r: HandshakeRequest) => Buffer.from(r.bytes.subarray(0, r.length)).toString("latin1");

function response(lines: string[]): Uint8Array {
  return Uint8Array.from(Buffer.from(lines.join("\r\n") + "\r\n\r\n", "latin1"));
}

const GOOD = [
  "HTTP/1.1 101 Switching Protocols",
  "Upgrade: websocket",
  "Connection: Upgrade",
  "Sec-WebSocket-Accept: " + RFC_ACCEPT,
  "Sec-WebSocket-Protocol: mqtt",
];

/** The parser's outcome for `bytes` fed in the pieces cut at `cuts`: the result and where frames start. */
function parse(r: HandshakeRequest, bytes: Uint8Array, cuts: number[]): string {
  const parser = new HandshakeParser();
  parser.reset(r);
  const points = [0, ...cuts, bytes.length];
  for (let c = 0; c + 1 < points.length; c++) {
    const result = parser.feed(bytes, points[c], points[c + 1]);
    if (result === Handshake.Done) return "done at " + parser.pos;
    if (result !== Handshake.NeedMore) return "error 0x" + result.toString(16) + " status " + parser.status;
  }
  return "need more";
}

function parseEverySplit(r: HandshakeRequest, bytes: Uint8Array): string {
  const whole = parse(r, bytes, []);
  for (let cut = 1; cut < bytes.length; cut++) expect(parse(r, bytes, [cut]), "split at " + cut).toBe(whole);
  expect(parse(r, bytes, Array.from({ length: bytes.length - 1 }, (_, i) => i + 1)), "byte at a time").toBe(whole);
  return whole;
}

describe("the Upgrade request (4.1)", () => {
  it("has the RFC's example key and its Accept, Version 13 and the mqtt subprotocol", () => {
    const r = request();
    expect(text(r)).toBe(
      "GET /mqtt HTTP/1.1\r\nHost: broker.local:8080\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n",
    );
    expect(Buffer.from(r.accept).toString()).toBe(RFC_ACCEPT);
  });

  it("a fresh random key each time, with the Accept node:crypto computes; Host without the scheme's port", () => {
    const r = new HandshakeRequest({ host: "example.com", port: 443, path: "", defaultPort: 443 });
    const seen = new Set<string>();
    for (let n = 0; n < 20; n++) {
      r.newKey(Math.random);
      const key = /Sec-WebSocket-Key: (\S+)\r\n/.exec(text(r))![1];
      expect(Buffer.from(key, "base64").length).toBe(16);
      seen.add(key);
      const accept = createHash("sha1").update(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
      expect(Buffer.from(r.accept).toString()).toBe(accept);
    }
    expect(seen.size).toBe(20);
    expect(text(r).startsWith("GET / HTTP/1.1\r\nHost: example.com\r\n")).toBe(true);
  });
});

describe("the 101 response, whole and split at every byte", () => {
  it("is accepted, and the frames after it start where it ends", () => {
    const r = request();
    const bytes = response(GOOD);
    expect(parseEverySplit(r, bytes)).toBe("done at " + bytes.length);
    const withFrame = Uint8Array.from([...bytes, 0x82, 0x00]);
    expect(parse(r, withFrame, [])).toBe("done at " + bytes.length);
  });

  it("takes header names in any case, OWS, a Connection list, and other headers", () => {
    const r = request();
    const bytes = response([
      "HTTP/1.1 101 Switching Protocols",
      "server: test",
      "UPGRADE:WebSocket",
      "connection:   keep-alive, Upgrade  ",
      "sec-websocket-accept: " + RFC_ACCEPT,
      "X-Long: " + "x".repeat(600),
    ]);
    expect(parseEverySplit(r, bytes)).toBe("done at " + bytes.length);
  });

  const cases: [string, string[], number][] = [
    ["404 Not Found", ["HTTP/1.1 404 Not Found", "Content-Length: 0"], WebSocketCause.HandshakeRefused],
    ["200 OK (a plain web server)", ["HTTP/1.1 200 OK"], WebSocketCause.HandshakeRefused],
    ["a wrong Accept", GOOD.map((l) => (l.startsWith("Sec-WebSocket-Accept") ? "Sec-WebSocket-Accept: " + RFC_ACCEPT.replace("s3p", "s3q") : l)), WebSocketCause.HandshakeInvalid],
    ["no Accept", GOOD.filter((l) => !l.startsWith("Sec-WebSocket-Accept")), WebSocketCause.HandshakeInvalid],
    ["no Upgrade", GOOD.filter((l) => !l.startsWith("Upgrade")), WebSocketCause.HandshakeInvalid],
    ["Upgrade: h2c", GOOD.map((l) => (l.startsWith("Upgrade") ? "Upgrade: h2c" : l)), WebSocketCause.HandshakeInvalid],
    ["Connection: close", GOOD.map((l) => (l.startsWith("Connection") ? "Connection: close" : l)), WebSocketCause.HandshakeInvalid],
    ["another subprotocol", GOOD.map((l) => (l.startsWith("Sec-WebSocket-Protocol") ? "Sec-WebSocket-Protocol: mqttv3.1" : l)), WebSocketCause.SubprotocolRefused],
    ["an extension not asked for", [...GOOD, "Sec-WebSocket-Extensions: permessage-deflate"], WebSocketCause.HandshakeInvalid],
  ];
  it.each(cases)("%s is refused with its cause", (_name, lines, cause) => {
    expect(parseEverySplit(request(), response(lines)).startsWith("error 0x" + cause.toString(16))).toBe(true);
  });

  it("a 404's status is kept; a response longer than allowed fails; after a failure feed keeps failing", () => {
    expect(parse(request(), response(["HTTP/1.1 404 Not Found"]), [])).toBe("error 0x" + WebSocketCause.HandshakeRefused.toString(16) + " status 404");
    const parser = new HandshakeParser(256, 100);
    parser.reset(request());
    const long = response([...GOOD, "X: " + "y".repeat(200)]);
    expect(parser.feed(long, 0, long.length)).toBe(WebSocketCause.HandshakeIncomplete);
    expect(parser.feed(long, 0, 1)).toBe(WebSocketCause.HandshakeIncomplete);
    const half = response(GOOD).subarray(0, 40);
    const p2 = new HandshakeParser();
    p2.reset(request());
    expect(p2.feed(half, 0, half.length)).toBe(Handshake.NeedMore);
  });
});
