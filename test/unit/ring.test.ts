import { describe, expect, it } from "vitest";
import { ByteRing } from "../../firmware/mqtt/codec/ring.js";

describe("ByteRing", () => {
  it("refuses a capacity that is not a positive integer", () => {
    expect(() => new ByteRing(0)).toThrow(RangeError);
    expect(() => new ByteRing(1.5)).toThrow(RangeError);
  });

  it("keeps unread bytes contiguous, moving them to the start when the tail reaches the end", () => {
    const ring = new ByteRing(8);
    expect(ring.write(Uint8Array.of(1, 2, 3, 4, 5, 6), 0, 6)).toBe(true);
    ring.consume(4); // unread: 5 6 at [4, 6)
    expect(ring.reserve(4)).toBe(2); // 2 free at the end are not enough: unread bytes moved to the start
    expect([ring.head, ring.tail]).toEqual([0, 2]);
    expect([...ring.buffer.subarray(0, 2)]).toEqual([5, 6]);
    ring.buffer.set([7, 8, 9, 10], 2);
    ring.commit(4);
    expect(ring.readable()).toBe(6);
    expect(ring.writable()).toBe(2);
  });

  it("refuses a write that does not fit and writes nothing", () => {
    const ring = new ByteRing(4);
    expect(ring.write(Uint8Array.of(1, 2, 3), 0, 3)).toBe(true);
    expect(ring.write(Uint8Array.of(4, 5), 0, 2)).toBe(false);
    expect(ring.reserve(2)).toBe(-1);
    expect(ring.readable()).toBe(3);
    expect(ring.push(4)).toBe(true);
    expect(ring.push(5)).toBe(false);
  });

  it("starts again at index 0 when emptied", () => {
    const ring = new ByteRing(4);
    ring.write(Uint8Array.of(1, 2, 3), 0, 3);
    ring.consume(3);
    expect([ring.head, ring.tail]).toEqual([0, 0]);
    expect(ring.reserve(4)).toBe(0);
  });

  it("copies part of a source array", () => {
    const ring = new ByteRing(4);
    ring.write(Uint8Array.of(9, 1, 2, 9), 1, 2);
    expect([...ring.buffer.subarray(ring.head, ring.tail)]).toEqual([1, 2]);
  });
});
