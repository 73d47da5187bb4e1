import { describe, expect, it } from "vitest";
import { checkDecodeVector, checkEncodeVector, decodeVectors, encodeVectors } from "../vectors/codec-vectors.js";

describe("codec vectors (Node)", () => {
  describe("encode", () => {
    for (const vector of encodeVectors) it(vector.name, () => expect(checkEncodeVector(vector)).toBeNull());
  });
  describe("decode, whole and byte by byte", () => {
    for (const vector of decodeVectors) it(vector.name, () => expect(checkDecodeVector(vector)).toBeNull());
  });
});
