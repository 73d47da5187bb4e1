// The simulator's command line as a user types it (build/host-sim/cli.js, built by the global setup; what
// `npm start` runs after building): a mistake gets one line on stderr saying what is wrong and where the
// options are, and exit code 2; never a stack trace. --help exits 0; --port picks the embedded broker's
// port; --json writes one JSON object per line; the summary's parts add up; commands are logged.
import { spawn, spawnSync } from "node:child_process";
import { createServer } from "node:net";
import mqtt from "mqtt";
import { describe, expect, it } from "vitest";

const CLI = "build/host-sim/cli.js";
const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", timeout: 20_000 });

/** Runs the simulator to its end without blocking this process (so a test can talk to its broker meanwhile). */
function running(args: string[]): { done: Promise<{ status: number | null; stdout: string; stderr: string }>; stdout: () => string; interrupt: () => void } {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  const done = new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    }),
  );
  return { done, stdout: () => stdout, interrupt: () => child.kill("SIGINT") };
}

/** A loopback port nothing listens on (now). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

async function until(what: string, check: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Publishes commands to the broker on `port` the way a user would (MQTT.js), QoS 1. */
async function sendCommands(port: number, commands: [topic: string, payload: string][]): Promise<void> {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0 });
  for (const [topic, payload] of commands) await client.publishAsync(topic, payload, { qos: 1 });
  await client.endAsync();
}

type Line = Record<string, unknown> & { time: number; device: string | null; kind: string };

function noStackTrace(stderr: string): void {
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr).not.toContain("node:internal");
  expect(stderr).not.toMatch(/Error:/);
}

describe("npm start's command line: mistakes", () => {
  for (const args of [
    ["--nope"],
    ["--devices", "-3"],
    ["--devices", "abc"],
    ["--duration", "abc"],
    ["--quiet=3"],
    ["--board", "nope"],
    ["--broker", "http://127.0.0.1:1"],
    ["--broker", "mqtt://[::1]:1883"],
    ["--port", "1883", "--broker", "mqtt://127.0.0.1:1883"],
    ["--broker", "mqtts://127.0.0.1:1", "--ca", "/nonexistent/ca.pem"],
    ["--broker", "mqtts://127.0.0.1:1", "--ca", "package.json"],
    ["--json", "--interval", "5"],
  ]) {
    it(`${args.join(" ")}: one line on stderr with the hint, nothing on stdout, exit 2, no stack trace`, () => {
      const r = cli(...args);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stdout).toBe("");
      const lines = r.stderr.trimEnd().split("\n");
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(/^npm start: .+ \(npm start -- --help for the options\)$/);
      noStackTrace(r.stderr);
    });
  }

  it("the line says what is wrong: --devices -3, --duration abc, an IPv6 broker, --port beside --broker, a missing --ca file, one with no certificate", () => {
    expect(cli("--devices", "-3").stderr).toContain("npm start: --devices: a whole number from 1 to 1000, not -3");
    expect(cli("--duration", "abc").stderr).toContain("npm start: --duration: a number of seconds above 0, up to 2147483, not abc");
    expect(cli("--broker", "mqtt://[::1]:1883").stderr).toContain("is an IPv6 address; the simulated boards' sockets are IPv4");
    expect(cli("--port", "1883", "--broker", "mqtt://127.0.0.1:1883").stderr).toContain("--port is the embedded broker's port");
    expect(cli("--broker", "mqtts://127.0.0.1:1", "--ca", "/nonexistent/ca.pem").stderr).toContain("--ca: cannot read /nonexistent/ca.pem: no such file");
    expect(cli("--broker", "mqtts://127.0.0.1:1", "--ca", "package.json").stderr).toContain("--ca: no PEM certificate (-----BEGIN CERTIFICATE-----) in package.json");
  });

  it("--port on a port that is taken: one line saying so, exit 2", async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    try {
      const r = cli("--port", String(port), "--duration", "1");
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr.trimEnd().split("\n")).toEqual([`npm start: --port ${port}: the port is in use on 127.0.0.1; choose another, or leave --port out for a free one (npm start -- --help for the options)`]);
      noStackTrace(r.stderr);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it("-h and --help print the usage on stdout and exit 0", () => {
    for (const flag of ["-h", "--help"]) {
      const r = cli(flag);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain("Usage: npm start");
      for (const option of ["--port N", "--json", "--interval MS", "-h, --help"]) expect(r.stdout).toContain(option);
      expect(r.stderr).toBe("");
    }
  });
});

describe("npm start running", () => {
  it("--port --json: the embedded broker on that port, every stdout line JSON, the board's intervals, commands and results logged, the summary adds up", async () => {
    const port = await freePort();
    const run = running(["--port", String(port), "--json", "--duration", "25"]);
    const id = "esp32-devkit-a1b2c3";
    await until("the device's connection", () => run.stdout().includes(`"device":"${id}","kind":"connected"`));
    await sendCommands(port, [
      [`devices/${id}/cmd/config`, '{"id":7}'],
      [`devices/${id}/cmd/nope`, ""],
    ]);
    await until("both results", () => run.stdout().split('"kind":"result"').length === 3);
    run.interrupt(); // Ctrl-C: a clean stop, the last summary, exit 0
    const r = await run.done;
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe("");
    const lines = r.stdout.trimEnd().split("\n").map((line) => JSON.parse(line) as Line); // throws on a line that is not JSON
    for (const line of lines) {
      expect(typeof line.time).toBe("number");
      expect(typeof line.kind).toBe("string");
      expect("device" in line).toBe(true);
    }
    const start = lines[0];
    expect(start).toMatchObject({ kind: "start", broker: `mqtt://127.0.0.1:${port}`, embedded: true, intervalSource: "board" });
    // The board file's intervals (boards/esp32_devkit.json), not a 2 s default.
    expect(start.sensors).toEqual([
      { name: "sht3x", interval: 10 },
      { name: "bmp280", interval: 30 },
    ]);

    // The commands as the subscriber saw them, the device running them, and their results.
    const of = (kind: string) => lines.filter((l) => l.kind === kind && l.device === id);
    expect(of("command").map((l) => l.name)).toEqual(["config", "nope"]);
    expect(of("command-ran").map((l) => [l.cmd, l.ok])).toEqual([
      ["config", true],
      ["nope", false],
    ]);
    const results = of("result").map((l) => l.data as { cmd: string; ok: boolean; id?: number; sensors?: { name: string; interval: number }[] });
    expect(results.map((d) => [d.cmd, d.ok])).toEqual([
      ["config", true],
      ["nope", false],
    ]);
    expect(results[0].id).toBe(7);
    // The device itself runs each sensor at the board's interval (its config report, in seconds).
    expect(results[0].sensors!.map((s) => [s.name, s.interval])).toEqual([
      ["sht3x", 10],
      ["bmp280", 30],
    ]);

    // The last summary: each total is its parts, telemetry counted apart from status, discovery and command results.
    const summary = lines.filter((l) => l.kind === "summary").at(-1) as unknown as {
      published: number;
      publishedBy: Record<string, number>;
      received: number;
      receivedBy: Record<string, number>;
    };
    const sum = (by: Record<string, number>) => Object.values(by).reduce((a, b) => a + b, 0);
    expect(sum(summary.publishedBy)).toBe(summary.published);
    expect(sum(summary.receivedBy)).toBe(summary.received);
    expect(summary.publishedBy).toMatchObject({ status: 2, discovery: 4, results: 2, other: 0 }); // online, offline; 4 readings; 2 commands
    expect(summary.receivedBy).toMatchObject({ commands: 2, results: 2, discovery: 4 });
    expect(summary.receivedBy.status).toBeGreaterThanOrEqual(1); // online; offline too unless it came after the subscriber left
    // What the subscriber saw, line by line, is what the summary counts.
    expect(summary.receivedBy.telemetry).toBe(lines.filter((l) => l.kind === "telemetry").length);
    expect(summary.publishedBy.telemetry).toBeGreaterThanOrEqual(2); // a first sample of each sensor at once
  });

  it("text: the summary's totals are the sums of their parts, and commands are logged on the subscriber's and the device's lines", async () => {
    const port = await freePort();
    const run = running(["--port", String(port), "--duration", "25", "--interval", "500"]);
    await until("the device's connection", () => /esp32-devkit-a1b2c3 +connected/.test(run.stdout()));
    await sendCommands(port, [["devices/esp32-devkit-a1b2c3/cmd/sample", ""]]);
    await until("the result", () => run.stdout().includes("command result from"));
    await new Promise((r) => setTimeout(r, 1200)); // a summary or two more samples
    run.interrupt();
    const r = await run.done;
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("telemetry: sht3x every 0.5 s, bmp280 every 0.5 s (--interval)");
    expect(r.stdout).toMatch(/subscriber +command sample to esp32-devkit-a1b2c3: \(no payload\)/);
    expect(r.stdout).toMatch(/esp32-devkit-a1b2c3 +ran command sample: ok/);
    expect(r.stdout).toMatch(/subscriber +command result from esp32-devkit-a1b2c3: \{"cmd":"sample","ok":true/);
    const summaries = r.stdout.split("\n").filter((l) => l.includes(" summary: "));
    expect(summaries.length).toBeGreaterThanOrEqual(1);
    for (const line of summaries) {
      for (const side of [/published (\d+) = ([^;]+);/, /received (\d+) = (.+)$/]) {
        const [, total, parts] = side.exec(line)!;
        const numbers = [...parts.matchAll(/ (\d+)/g)].map((m) => Number(m[1]));
        expect(numbers.reduce((a, b) => a + b), line).toBe(Number(total));
      }
    }
    expect(summaries.at(-1)).toMatch(/published \d+ = telemetry \d+ \+ status 2 \+ discovery 4 \+ command results 1;/);
  });

  it("a broker that refuses: each failed attempt says 'connection refused by <address>:<port>' and when the next attempt is", async () => {
    const port = await freePort(); // nothing listens there now
    const r = cli("--broker", `mqtt://127.0.0.1:${port}`, "--duration", "3");
    expect(r.status, r.stderr).toBe(0);
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
