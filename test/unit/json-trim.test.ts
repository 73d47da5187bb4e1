import { describe, expect, it } from "vitest";
import { JsonWriter, memberBytes } from "../../firmware/telemetry/json.js";

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe("JsonWriter trimmed for a whole-array publish", () => {
  it("trim() makes buffer exactly the object's bytes, untrim() gives the whole capacity back", () => {
    const w = new JsonWriter(64);
    w.begin();
    w.key(bytes("seq"));
    w.integer(7);
    w.member(memberBytes(bytes("temperature")));
    w.number(21.456, 2);
    w.end();
    expect(w.trim()).toBe(true); // Node 20 resizes ArrayBuffers, as XS does
    expect(text(w.buffer)).toBe('{"seq":7,"temperature":21.46}');
    w.untrim();
    expect(w.buffer.length).toBe(64);
    expect(text(w.buffer.subarray(0, w.length))).toBe('{"seq":7,"temperature":21.46}');
  });

  it("a sample begun while the last one is trimmed (from a publish's callback) gets the whole buffer", () => {
    const w = new JsonWriter(64);
    w.begin();
    w.key(bytes("a"));
    w.integer(1);
    w.end();
    w.trim();
    w.begin();
    w.key(bytes("seq"));
    w.integer(1732460000123);
    w.end();
    expect(w.overflow).toBe(false);
    expect(text(w.buffer.subarray(0, w.length))).toBe('{"seq":1732460000123}');
  });

  it("member() writes the same bytes as key() after the first member, and overflows the same way", () => {
    for (let capacity = 1; capacity < 24; capacity++) {
      const a = new JsonWriter(capacity);
      const b = new JsonWriter(capacity);
      for (const [w, useMember] of [[a, false], [b, true]] as const) {
        w.begin();
        w.key(bytes("seq"));
        w.integer(3);
        if (useMember) w.member(memberBytes(bytes("rh")));
        else w.key(bytes("rh"));
        w.number(40.5, 1);
        w.end();
      }
      expect(b.overflow).toBe(a.overflow);
      if (!a.overflow) expect(text(b.buffer.subarray(0, b.length))).toBe(text(a.buffer.subarray(0, a.length)));
    }
  });
});
