// The simulator's command line as a user types it (build/host-sim/cli.js, built by the global setup; what
// `npm start` runs after building): a mistake gets one line on stderr saying what is wrong and where the
// options are, and exit code 2; never a stack trace. --help exits 0; --port picks the embedded broker's
// port; --json writes one JSON object per line; the summary's parts add up; commands are logged.
// --mqtt 5 against mosquitto (which logs each client's protocol: p5) and the fallback to 3.1.1 with aedes;
// the TLS flags (--cert, --key, --alpn, --servername) against mosquitto with require_certificate and a TLS
// front of our own that records each ClientHello's SNI and ALPN, and each of their mistakes. The mosquitto
// tests skip loudly without it, and fail under CI=true (mosquittoAvailable).
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect as tcpConnect, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer as createTlsServer } from "node:tls";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EMBEDDED_V5_FALLBACK } from "../../host-sim/cli-args.js";
import { makeCertificates, Mosquitto, mosquittoAvailable, type Certificates } from "../integration/mosquitto.js";

const available = mosquittoAvailable();

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
    expect(cli("--devices", "-3").stderr).toContain("npm start: --devices: a whole number from 1 to 100000, not -3");
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

/** The JSON lines of a --json run (throws on a line that is not JSON). */
const jsonLines = (stdout: string): Line[] => stdout.trimEnd().split("\n").map((line) => JSON.parse(line) as Line);

/** How many telemetry messages the CLI's subscriber showed (--json). */
const telemetryCount = (stdout: string): number => stdout.split('"kind":"telemetry"').length - 1;

function oneLineMistake(r: { status: number | null; stdout: string; stderr: string }, words: string): void {
  expect(r.status, r.stderr + r.stdout).toBe(2);
  expect(r.stdout).toBe("");
  const lines = r.stderr.trimEnd().split("\n");
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^npm start: .+ \(npm start -- --help for the options\)$/);
  expect(lines[0]).toContain(words);
  noStackTrace(r.stderr);
}

describe("npm start's TLS flags and --mqtt: mistakes, one line each, exit 2", () => {
  const dir = mkdtempSync(join(tmpdir(), "mqtt-xs-cli-tls-")); // now: the tests' names hold the paths
  const file = (name: string) => join(dir, name);

  beforeAll(() => {
    const pem = (der: string) => `-----BEGIN CERTIFICATE-----\n${der}\n-----END CERTIFICATE-----\n`;
    // Read before any socket: a block that decodes to DER's first byte (a SEQUENCE) is all the checks want
    // here (the mosquitto tests below use real certificates). "QUJD" decodes to "ABC": not DER.
    writeFileSync(file("cert.pem"), pem("MAA="));
    writeFileSync(file("not-der.pem"), pem("QUJD"));
    writeFileSync(file("second-not-der.pem"), pem("MAA=") + pem("QUJD"));
    const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey;
    writeFileSync(file("rsa.key"), rsa.export({ type: "pkcs8", format: "pem" }));
    writeFileSync(file("encrypted.key"), rsa.export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: "secret" }));
    writeFileSync(file("ec.key"), generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey.export({ type: "pkcs8", format: "pem" }));
    writeFileSync(file("ed25519.key"), generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // A broker nothing listens on, and --duration 1: a mistake that slipped through would run and exit 0.
  const tls = ["--broker", "mqtts://127.0.0.1:1", "--duration", "1"];
  const cases: [args: () => string[], words: () => string][] = [
    [() => [...tls, "--cert", file("cert.pem")], () => "--cert needs --key too (the certificate's private key, PEM)"],
    [() => [...tls, "--key", file("rsa.key")], () => "--key needs --cert too (the certificate the key belongs to, PEM)"],
    [() => ["--cert", file("cert.pem"), "--key", file("rsa.key"), "--duration", "1"], () => "--cert is for an mqtts:// broker (--broker mqtts://host[:port]); the embedded broker is plain mqtt"],
    [() => ["--broker", "mqtt://127.0.0.1:1", "--alpn", "mqtt", "--duration", "1"], () => "--alpn is for an mqtts:// broker (--broker mqtts://host[:port]); this one is plain mqtt"],
    [() => ["--servername", "broker.example", "--duration", "1"], () => "--servername is for an mqtts:// broker"],
    [() => [...tls, "--alpn", "mqtt,,x"], () => "--alpn: protocol names of 1 to 255 bytes separated by commas"],
    [() => [...tls, "--cert", "/nonexistent/cert.pem", "--key", file("rsa.key")], () => "--cert: cannot read /nonexistent/cert.pem: no such file"],
    [() => [...tls, "--cert", file("cert.pem"), "--key", "/nonexistent/key.pem"], () => "--key: cannot read /nonexistent/key.pem: no such file"],
    [() => [...tls, "--cert", "package.json", "--key", file("rsa.key")], () => "--cert: no PEM certificate (-----BEGIN CERTIFICATE-----) in package.json"],
    [() => [...tls, "--cert", file("cert.pem"), "--key", "package.json"], () => "--key: no PEM private key (-----BEGIN PRIVATE KEY-----) in package.json"],
    [() => [...tls, "--cert", file("cert.pem"), "--key", file("ec.key")], () => `--key: ${file("ec.key")} is not an RSA key (it is ec); the device's TLS signs with RSA only`],
    [() => [...tls, "--cert", file("cert.pem"), "--key", file("ed25519.key")], () => `--key: ${file("ed25519.key")} is not an RSA key (it is ed25519); the device's TLS signs with RSA only`],
    [() => [...tls, "--cert", file("cert.pem"), "--key", file("encrypted.key")], () => `--key: cannot read the private key in ${file("encrypted.key")}: it is encrypted`],
    // checkBroker's TypeErrors (firmware/net/broker.ts), with the flag's name for its option's.
    [() => [...tls, "--cert", file("not-der.pem"), "--key", file("rsa.key")], () => "npm start: --cert: not DER: our certificate expected"],
    [() => [...tls, "--cert", file("second-not-der.pem"), "--key", file("rsa.key")], () => "npm start: --cert (PEM block 2): not DER: a certificate expected"],
    [() => [...tls, "--ca", file("not-der.pem")], () => "npm start: --ca: not DER: the CA certificate expected"],
    [() => ["--mqtt", "3", "--duration", "1"], () => "npm start: --mqtt: 4 (MQTT 3.1.1) or 5 (MQTT 5.0), not 3"],
  ];
  for (const [args, words] of cases) {
    it(args().map((a) => a.replace(dir + "/", "")).join(" "), () => {
      oneLineMistake(cli(...args()), words());
    });
  }

  it("--help names the new flags", () => {
    const r = cli("--help");
    for (const flag of ["--cert FILE", "--key FILE", "--alpn A,B", "--servername NAME", "--mqtt 4|5"]) expect(r.stdout).toContain(flag);
  });
});

describe("npm start --mqtt 5 without --broker", () => {
  it("prints the fallback line on stderr and runs at 3.1.1 against aedes: start line, connection, telemetry", () => {
    const r = cli("--mqtt", "5", "--json", "--interval", "200", "--duration", "3");
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr.trimEnd().split("\n")).toEqual([EMBEDDED_V5_FALLBACK]);
    const lines = jsonLines(r.stdout);
    expect(lines[0]).toMatchObject({ kind: "start", embedded: true, protocolVersion: 4, mqtt: "3.1.1", asked: "5.0" });
    expect(lines.some((l) => l.kind === "connected" && l.device === "esp32-devkit-a1b2c3")).toBe(true);
    expect(lines.some((l) => l.kind === "connected" && l.device === "subscriber")).toBe(true);
    expect(lines.filter((l) => l.kind === "telemetry").length).toBeGreaterThanOrEqual(2);
    expect(lines.filter((l) => l.kind === "disconnected" && l.reason !== 0)).toEqual([]); // no refused or failed attempt

    const text = cli("--mqtt", "5", "--duration", "1");
    expect(text.status, text.stderr).toBe(0);
    expect(text.stderr.trimEnd()).toBe(EMBEDDED_V5_FALLBACK);
    expect(text.stdout.split("\n")[0]).toMatch(/ \(embedded aedes\), MQTT 3\.1\.1 \(--mqtt 5 asked: aedes speaks 3\.1\.1 only\)$/);
  });

  it("without --mqtt (or --mqtt 4): 3.1.1, and no fallback line", () => {
    const r = cli("--json", "--duration", "1");
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe("");
    expect(jsonLines(r.stdout)[0]).toMatchObject({ kind: "start", protocolVersion: 4, mqtt: "3.1.1" });
    expect(jsonLines(r.stdout)[0]).not.toHaveProperty("asked");
    expect(cli("--mqtt", "4", "--duration", "1").stdout.split("\n")[0]).toMatch(/\(embedded aedes\), MQTT 3\.1\.1$/);
  });
});

describe.skipIf(!available)("npm start against mosquitto: --mqtt 5, and --cert/--key/--alpn/--servername", () => {
  let dir: string;
  let certs: Certificates;
  /** A plain listener (mosquitto.port) and a TLS one with require_certificate (tlsPort); every packet logged. */
  let broker: Mosquitto;
  let deviceCert: string;
  let deviceKey: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "mqtt-xs-cli-mosquitto-"));
    certs = makeCertificates(dir); // a CA, a leaf for 127.0.0.1 and localhost (the broker's)
    const run = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
    // Ours, signed by the broker's CA, as PEM files (what --cert and --key take); the key as openssl writes it (PKCS#8).
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "device.key", "-out", "device.csr", "-subj", "/CN=device-1");
    run("x509", "-req", "-in", "device.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "device.crt", "-days", "2");
    deviceCert = join(dir, "device.crt");
    deviceKey = join(dir, "device.key");
    // The certificate with the CA after it (two PEM blocks: cert becomes a list), and the key in PKCS#1 ("BEGIN RSA PRIVATE KEY").
    writeFileSync(join(dir, "chain.crt"), readFileSync(deviceCert, "utf8") + readFileSync(certs.caFile, "utf8"));
    run("rsa", "-in", "device.key", "-traditional", "-out", "device-rsa.key");
    broker = await Mosquitto.start({ tls: certs, requireCertificate: true, logAll: true });
  });

  afterAll(async () => {
    await broker?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("--mqtt 5 --broker mqtt://<mosquitto>: every board and the subscriber connect at 5.0 (mosquitto logs p5), telemetry reaches the subscriber and an MQTT.js 5.0 client", async () => {
    const watcher = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: `cli-v5-watcher-${process.pid}`, reconnectPeriod: 0 });
    const seen = new Map<string, number>();
    watcher.on("message", (topic) => {
      const device = topic.split("/")[1]!;
      seen.set(device, (seen.get(device) ?? 0) + 1);
    });
    await watcher.subscribeAsync("devices/+/telemetry/#", { qos: 1 });
    const ids = ["esp32-devkit-a1b2c3", "esp32-devkit-a1b2c4"];
    const run = running(["--mqtt", "5", "--broker", broker.url, "--devices", "2", "--interval", "200", "--json", "--duration", "25"]);
    try {
      await until("telemetry of both boards at the CLI's subscriber", () => ids.every((id) => run.stdout().includes(`"device":"${id}","kind":"telemetry"`)));
      await until("telemetry of both boards at MQTT.js (5.0)", () => ids.every((id) => (seen.get(id) ?? 0) >= 2));
    } finally {
      run.interrupt();
      await watcher.endAsync();
    }
    const r = await run.done;
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe(""); // no fallback line with --broker
    const lines = jsonLines(r.stdout);
    expect(lines[0]).toMatchObject({ kind: "start", broker: broker.url, embedded: false, protocolVersion: 5, mqtt: "5.0", devices: 2 });
    for (const id of ids) expect(lines.some((l) => l.kind === "telemetry" && l.device === id)).toBe(true);
    // mosquitto's word for each client's protocol: "p5" is MQTT 5.0 (p2 would be 3.1.1).
    const log = broker.output;
    for (const id of ids) expect(log, log).toMatch(new RegExp(`New client connected from \\S+ as ${id} \\(p5,`));
    expect(log).toMatch(/New client connected from \S+ as mqtt-xs-sim-sub-\d+ \(p5,/);
    expect(log).toMatch(new RegExp(`as cli-v5-watcher-${process.pid} \\(p5,`));
    expect(log).not.toMatch(/as (esp32-devkit-a1b2c[34]|mqtt-xs-sim-sub-\d+) \(p2,/);
    const summary = lines.filter((l) => l.kind === "summary").at(-1) as unknown as { receivedBy: { telemetry: number }; dropped: number };
    expect(summary.receivedBy.telemetry).toBeGreaterThanOrEqual(4);
  });

  it("--cert/--key (PEM) against require_certificate: the board and the subscriber connect over mutual TLS and telemetry arrives; also a chain (two blocks) and a PKCS#1 key", async () => {
    const tls = ["--broker", `mqtts://127.0.0.1:${broker.tlsPort}`, "--ca", certs.caFile, "--board", "pico_w", "--interval", "200", "--json", "--duration", "25"];
    for (const [cert, key] of [
      [deviceCert, deviceKey],
      [join(dir, "chain.crt"), join(dir, "device-rsa.key")],
    ]) {
      const run = running([...tls, "--cert", cert, "--key", key, "--servername", "localhost"]);
      try {
        await until(`telemetry over mutual TLS (${cert}, ${key})`, () => telemetryCount(run.stdout()) >= 2);
      } finally {
        run.interrupt();
      }
      const r = await run.done;
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toBe("");
      const lines = jsonLines(r.stdout);
      expect(lines[0]).toMatchObject({ kind: "start", broker: `mqtts://127.0.0.1:${broker.tlsPort}`, protocolVersion: 4 });
      expect(lines.find((l) => l.kind === "connecting" && l.device === "pico-w-a1b2c3")).toMatchObject({ tls: true, port: broker.tlsPort });
      expect(lines.some((l) => l.kind === "connected" && l.device === "pico-w-a1b2c3")).toBe(true);
      expect(lines.some((l) => l.kind === "connected" && l.device === "subscriber")).toBe(true);
      expect(lines.some((l) => l.kind === "telemetry" && l.device === "pico-w-a1b2c3")).toBe(true);
      expect(lines.filter((l) => l.kind === "disconnected" && l.reason !== 0)).toEqual([]);
    }
  });

  it("--mqtt 5 over mutual TLS: connects at 5.0 and telemetry arrives", async () => {
    const run = running(["--broker", `mqtts://127.0.0.1:${broker.tlsPort}`, "--ca", certs.caFile, "--cert", deviceCert, "--key", deviceKey, "--mqtt", "5", "--interval", "200", "--json", "--duration", "25"]);
    try {
      await until("telemetry over mutual TLS at 5.0", () => telemetryCount(run.stdout()) >= 2);
    } finally {
      run.interrupt();
    }
    const r = await run.done;
    expect(r.status, r.stderr).toBe(0);
    expect(jsonLines(r.stdout)[0]).toMatchObject({ protocolVersion: 5, mqtt: "5.0" });
  });

  it("the flags reach the connections: without --cert/--key mosquitto wants a certificate; --servername wrong.example fails the name check", () => {
    const base = ["--broker", `mqtts://127.0.0.1:${broker.tlsPort}`, "--ca", certs.caFile, "--duration", "2"];
    const none = cli(...base);
    expect(none.status, none.stderr).toBe(0);
    expect(none.stdout).toMatch(new RegExp(`esp32-devkit-a1b2c3 +disconnected: TLS: 127\\.0\\.0\\.1:${broker.tlsPort} requires a client certificate \\(give cert and key\\)`));
    expect(none.stdout).toMatch(/subscriber +disconnected: TLS: .* requires a client certificate/);
    expect(none.stdout).not.toMatch(/ connected \(session present/);

    const wrong = cli(...base, "--cert", deviceCert, "--key", deviceKey, "--servername", "wrong.example");
    expect(wrong.status, wrong.stderr).toBe(0);
    expect(wrong.stdout).toMatch(/esp32-devkit-a1b2c3 +disconnected: TLS: certificate name mismatch \(expected wrong\.example\)/);
    expect(wrong.stdout).toMatch(/subscriber +disconnected: TLS: certificate name mismatch \(expected wrong\.example\)/);
    expect(wrong.stdout).not.toMatch(/ connected \(session present/);
  });

  it("--alpn and --servername as sent: a TLS front that records each ClientHello's SNI and ALPN (and wants mqtt), piping to mosquitto", async () => {
    const hellos: { servername: string; protocols: string[] }[] = [];
    const sockets = new Set<Socket>();
    const front = createTlsServer(
      {
        key: readFileSync(certs.keyFile),
        cert: readFileSync(certs.certFile), // for localhost and 127.0.0.1
        ALPNCallback: ({ servername, protocols }) => {
          hellos.push({ servername, protocols });
          return protocols.includes("mqtt") ? "mqtt" : undefined;
        },
      },
      (secure) => {
        const upstream = tcpConnect(broker.port, "127.0.0.1");
        sockets.add(upstream).add(secure);
        upstream.on("error", () => secure.destroy());
        secure.on("error", () => upstream.destroy());
        secure.pipe(upstream).pipe(secure);
      },
    );
    front.on("tlsClientError", () => {});
    await new Promise<void>((r) => front.listen(0, "127.0.0.1", r));
    const port = (front.address() as { port: number }).port;
    try {
      const run = running(["--broker", `mqtts://127.0.0.1:${port}`, "--ca", certs.caFile, "--alpn", "x-other,mqtt", "--servername", "localhost", "--interval", "200", "--json", "--duration", "25"]);
      try {
        await until("telemetry through the front", () => telemetryCount(run.stdout()) >= 2);
      } finally {
        run.interrupt();
      }
      const r = await run.done;
      expect(r.status, r.stderr).toBe(0);
      // The board's ClientHello and the subscriber's, each with the server name and both protocols in order.
      expect(hellos.length).toBeGreaterThanOrEqual(2);
      for (const hello of hellos) expect(hello).toEqual({ servername: "localhost", protocols: ["x-other", "mqtt"] });
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((r) => front.close(() => r()));
    }
  });
});

describe("npm start --broker ws://", () => {
  it("the boards and the subscriber reach aedes over MQTT over WebSockets (ws), and telemetry arrives", async () => {
    const { Aedes } = await import("aedes");
    const { createServer: createHttpServer } = await import("node:http");
    const { createWebSocketStream, WebSocketServer } = await import("ws");
    const aedes = await Aedes.createBroker();
    const http = createHttpServer();
    const wss = new WebSocketServer({ server: http, path: "/mqtt" });
    wss.on("connection", (socket) => aedes.handle(createWebSocketStream(socket) as never));
    await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
    const port = (http.address() as { port: number }).port;
    try {
      const run = running(["--broker", `ws://127.0.0.1:${port}/mqtt`, "--json", "--interval", "200", "--duration", "3"]);
      const r = await run.done;
      expect(r.status, r.stderr).toBe(0);
      const lines = jsonLines(r.stdout);
      expect(lines.some((l) => l.kind === "connected" && l.device === "subscriber")).toBe(true);
      expect(lines.filter((l) => l.kind === "telemetry").length).toBeGreaterThanOrEqual(2);
    } finally {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
      await new Promise<void>((r) => http.close(() => r()));
      await new Promise<void>((r) => aedes.close(() => r()));
    }
  });
});
