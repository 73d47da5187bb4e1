import { describe, expect, it } from "vitest";
import { SocketMemory } from "../../firmware/mqtt/codec/socket-memory.js";

describe("SocketMemory", () => {
  it("lends the stage as exactly the bytes of a span of a region, the same object every time, and grows back", () => {
    const memory = new SocketMemory(20, 8);
    const a = memory.region(12);
    const b = memory.region(8);
    for (let i = 0; i < 12; i++) a[i] = 100 + i;
    b.set([1, 2, 3, 4, 5, 6, 7, 8]);
    const stage = memory.staged(a, 3, 5);
    expect(Array.from(stage)).toEqual([103, 104, 105, 106, 107]);
    expect(memory.memory.byteLength).toBe(25);
    memory.restore();
    expect(memory.memory.byteLength).toBe(28);
    expect(Array.from(a)).toEqual([100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111]); // the regions are untouched
    expect(Array.from(b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(memory.staged(b, 6, 2)).toBe(stage);
    expect(Array.from(stage)).toEqual([7, 8]);
    memory.restore();
    expect(memory.callLimit).toBe(8);
  });

  it("lends an empty stage of n bytes for a read, and unstage puts what was read into a region at an offset", () => {
    const memory = new SocketMemory(10, 4);
    const rx = memory.region(10);
    const stage = memory.empty(rx, 5, 3);
    expect(stage.length).toBe(3);
    expect(stage.byteOffset).toBe(10); // the stage, not a view of rx
    stage.set([9, 8, 7]);
    memory.unstage(stage, rx, 5, 3);
    expect(Array.from(rx)).toEqual([0, 0, 0, 0, 0, 9, 8, 7, 0, 0]);
    expect(memory.memory.byteLength).toBe(14);
  });

  it("makes a new view when the stage is lent already, or when there is no stage (socketStage 0)", () => {
    const memory = new SocketMemory(10, 4);
    const rx = memory.region(10);
    rx.set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const lent = memory.staged(rx, 0, 2);
    const again = memory.staged(rx, 4, 3);
    expect(again).not.toBe(lent);
    expect(Array.from(again)).toEqual([4, 5, 6]);
    memory.restore();
    const none = new SocketMemory(10, 0);
    const r = none.region(10);
    r[7] = 42;
    expect(none.resizable).toBe(false);
    expect(none.callLimit).toBe(0x7fffffff);
    const view = none.staged(r, 7, 1);
    expect(view.buffer).toBe(none.memory);
    expect(Array.from(view)).toEqual([42]);
    const read = none.empty(r, 0, 2);
    expect(read.buffer).toBe(none.memory);
    read.set([5, 6]); // straight into r: nothing to copy
    none.unstage(read, r, 0, 2);
    expect(r[0] + r[1]).toBe(11);
  });

  it("refuses regions past the size it was made for", () => {
    const memory = new SocketMemory(4, 4);
    memory.region(3);
    expect(() => memory.region(2)).toThrow(RangeError);
  });
});
