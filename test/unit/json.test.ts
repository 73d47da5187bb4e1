import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { JsonWriter } from "../../firmware/telemetry/json.js";

const key = (text: string) => new TextEncoder().encode(text);

function write(value: number, decimals: number): string {
  const w = new JsonWriter(64);
  w.begin();
  w.key(key("v"));
  w.number(value, decimals);
  w.end();
  expect(w.overflow).toBe(false);
  return new TextDecoder().decode(w.buffer.subarray(0, w.length));
}

describe("JsonWriter", () => {
  it.each([
    [21.43, 2, '{"v":21.43}'],
    [21.4, 2, '{"v":21.4}'],
    [-3.456, 2, '{"v":-3.46}'],
    [-0.001, 2, '{"v":0}'],
    [0.05, 2, '{"v":0.05}'],
    [100, 2, '{"v":100}'],
    [101325, 0, '{"v":101325}'],
    [NaN, 2, '{"v":null}'],
    [Infinity, 2, '{"v":null}'],
    [1732460000123, 0, '{"v":1732460000123}'],
    [1e21, 2, '{"v":1e21}'],
    [-1.5e300, 1, '{"v":-1.5e300}'],
  ])("writes %d with %d decimals as %s", (value, decimals, expected) => {
    expect(write(value, decimals)).toBe(expected);
  });

  it("writes valid JSON whose value is the number rounded, for any double", () => {
    fc.assert(
      fc.property(fc.double(), fc.integer({ min: 0, max: 6 }), (value, decimals) => {
        const parsed = JSON.parse(write(value, decimals)).v;
        if (!Number.isFinite(value)) return parsed === null;
        const expected = Math.round(Math.abs(value) * 10 ** decimals) / 10 ** decimals;
        return Math.abs(Math.abs(parsed) - expected) <= Math.max(1e-9, expected * 1e-5);
      }),
      { numRuns: 5000 },
    );
  });

  it("marks an overflow instead of writing past its buffer", () => {
    const w = new JsonWriter(8);
    w.begin();
    w.key(key("temperature"));
    w.number(21.5, 1);
    w.end();
    expect(w.overflow).toBe(true);
    expect(w.length).toBeLessThanOrEqual(8);
  });
});
