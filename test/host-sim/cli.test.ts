// The simulator's command line as a user types it (build/host-sim/cli.js, built by the global setup): a
// mistake gets one line saying what is wrong, the usage, and exit code 2 or 1; never a stack trace.
import { spawnSync } from "node:child_process";
import { createServer } from "node:net";
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

  it("a broker that refuses: each failed attempt says 'connection refused by <address>:<port>' and when the next attempt is", async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((r) => server.close(() => r())); // nothing listens there now
    const r = cli("--broker", `mqtt://127.0.0.1:${port}`, "--duration", "3");
    expect(r.status).toBe(0);
    const line = new RegExp(`esp32-devkit-\\w+ +disconnected: connection refused by 127\\.0\\.0\\.1:${port} \\(0x201\\); next attempt in \\d+\\.\\d s`);
    const lines = r.stdout.split("\n").filter((l) => line.test(l));
    expect(lines.length, r.stdout).toBeGreaterThanOrEqual(2); // the first attempt and a retry, in 3 s
    expect(r.stdout).not.toContain("connection lost");
    // The next attempt comes when the line said: the device's first disconnect, then its next "connecting to".
    const device = r.stdout.split("\n").filter((l) => /esp32-devkit-/.test(l));
    const at = (l: string) => Number(/\[\s*([\d.]+)s\]/.exec(l)![1]);
    const first = device.findIndex((l) => line.test(l));
    const due = at(device[first]!) + Number(/next attempt in ([\d.]+) s/.exec(device[first]!)![1]);
    const next = device.slice(first + 1).find((l) => l.includes("connecting to"))!;
    expect(at(next)).toBeGreaterThanOrEqual(due - 0.15); // stamps and the delay are rounded to 0.1 s
    expect(at(next)).toBeLessThanOrEqual(due + 0.5);
  });
});
