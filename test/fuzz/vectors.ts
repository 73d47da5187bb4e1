/**
 * The saved fuzz regression vectors (test/fuzz/regressions/*.json), read on Node. A vector is a case that
 * failed once: the broker's bytes, how they were split, when the transport wrote, the client set-up, and
 * the defined state the client must end in. Every vector must pass, whatever its `status`: "found" (saved
 * by npm run fuzz: a bug, failing until it is fixed), "fixed" (a bug fixed since), "guard" (a case kept on
 * purpose). Nothing is tolerated.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { fromHex, type CaseData } from "../vectors/fuzz.js";

export const regressionsDir = join(dirname(fileURLToPath(import.meta.url)), "regressions");

export interface RegressionVector {
  /** The file name. */
  file: string;
  name: string;
  /** The violation it was saved for (violationName). */
  violation: string;
  status: "found" | "fixed" | "guard";
  /** How it was found. */
  found: string;
  fixture: number;
  /** Hex bytes, as the broker sends them. */
  bytes: string;
  chunks: number[];
  drains: number[];
  /** "connected", "connecting" or "disconnected 0x81|0x82|0x95|0x84-0x88": the end a correct client reaches. */
  expected: string;
  note?: string;
}

export function loadRegressions(): RegressionVector[] {
  return readdirSync(regressionsDir)
    .filter((name) => name.endsWith(".json"))
    .sort()
    .map((file) => ({ file, ...(JSON.parse(readFileSync(join(regressionsDir, file), "utf8")) as Omit<RegressionVector, "file">) }));
}

export function vectorData(vector: RegressionVector): CaseData {
  return { bytes: fromHex(vector.bytes), chunks: vector.chunks, drains: vector.drains, fixture: vector.fixture };
}
