// The simulator's command line as a user types it (build/host-sim/cli.js, built by the global setup): a
// mistake gets one line saying what is wrong, the usage, and exit code 2 or 1; never a stack trace.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";

const cli = (...args: string[]) => spawnSync(process.execPath, ["build/host-sim/cli.js", ...args], { encoding: "utf8", timeout: 20_000 });

describe("npm start's command line", () => {
  for (const [args, words, code] of [
    [["--nope"], "Unknown option '--nope'", 2],
    [["--devices", "-1"], "Option '--devices' argument is ambiguous", 2],
    [["--quiet=3"], "Option '--quiet' does not take an argument", 2],
    [["--devices", "abc"], "--devices must be 1 to 1000", 1],
    [["--board", "nope"], 'unknown board "nope"', 1],
    [["--broker", "http://127.0.0.1:1"], "--broker must be mqtt:// or mqtts://", 1],
  ] as const) {
    it(`${args.join(" ")}: "${words}", exit ${code}, no stack trace`, () => {
      const r = cli(...args);
      expect(r.status).toBe(code);
      expect(r.stderr.split("\n")[0]).toContain(words);
      expect(r.stderr).not.toMatch(/^\s+at /m);
      expect(r.stderr).not.toContain("node:internal");
    });
  }

  it("--help prints the usage and exits 0", () => {
    const r = cli("--help");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("Usage: npm start");
  });
});
