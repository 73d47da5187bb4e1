// Makes vitest cases of the cases a suite ran on XS (see xs-run.ts).
import { describe, it } from "vitest";
import { runXsModule, type XsCaseResult, type XsRunOptions } from "./xs-run.js";

/**
 * Runs a built suite on XS now (call it with top-level await in a test file) and registers one vitest case
 * per XS case under `title`, failing with the case's error; a case's data (e.g. measures) is attached as
 * an annotation. If the module cannot run at all, registers a single failing case with the runner's output.
 * Returns the results so the test file can assert on their data too.
 */
export async function describeXs(title: string, builtModulePath: string, opts?: XsRunOptions): Promise<XsCaseResult[]> {
  let results: XsCaseResult[] = [];
  let failure: unknown;
  try {
    results = await runXsModule(builtModulePath, opts);
  } catch (error) {
    failure = error;
  }
  describe(title, () => {
    if (failure !== undefined) it("runs on XS", () => Promise.reject(failure));
    for (const result of results) {
      it(result.name, async ({ annotate }) => {
        if (result.data !== undefined) await annotate(JSON.stringify(result.data));
        if (!result.ok) throw new Error(result.error ?? "failed on XS");
      });
    }
  });
  return results;
}
