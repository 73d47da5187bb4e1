// npm start's command line, read without a process (host-sim/cli-args.ts): each mistake is one line that
// says what is wrong and how to see the options; each option's default and range.
import { describe, expect, it } from "vitest";
import { EMBEDDED_V5_FALLBACK, HINT, MAX_DEVICES, USAGE, brokerUrl, parseCommandLine, protocolVersion, type CliOptions } from "../../host-sim/cli-args.js";
import { MAX_CONNECT_RATE, MAX_WORKERS, SINGLE_THREAD_DEVICES, isFleet } from "../../host-sim/cli-args.js";

const BOARDS = ["esp32_devkit", "pico_w"];
const parse = (...argv: string[]) => parseCommandLine(argv, BOARDS);

function options(...argv: string[]): CliOptions {
  const line = parse(...argv);
  if (line.kind !== "run") throw new Error(`expected options, got ${JSON.stringify(line)}`);
  return line.options;
}

function mistake(...argv: string[]): string {
  const line = parse(...argv);
  if (line.kind !== "error") throw new Error(`expected a mistake, got ${JSON.stringify(line)}`);
  return line.message;
}

describe("npm start's options", () => {
  it("no options: one esp32_devkit, the embedded broker on a free port, each sensor at the board's own interval", () => {
    expect(options()).toEqual({
      broker: undefined,
      port: undefined,
      username: undefined,
      password: undefined,
      ca: undefined,
      cert: undefined,
      key: undefined,
      alpn: undefined,
      serverName: undefined,
      mqtt: 4, // MQTT 3.1.1
      board: "esp32_devkit",
      devices: 1,
      interval: undefined, // not 2000: the board file's intervals apply
      faults: false,
      duration: undefined,
      quiet: false,
      json: false,
    });
  });

  it("every option, as --name value and as --name=value", () => {
    const argv = ["--board", "pico_w", "--devices", "12", "--interval", "500", "--duration", "2.5", "--faults", "--quiet", "--json", "--username", "u", "--password", "-p-"];
    const o = options(...argv, "--broker=MQTTS://broker.example", "--ca=ca.pem");
    expect(o).toMatchObject({ board: "pico_w", devices: 12, interval: 500, duration: 2.5, faults: true, quiet: true, json: true, username: "u", password: "-p-", ca: "ca.pem" });
    expect(o.broker).toEqual({ url: "MQTTS://broker.example", host: "broker.example", port: 8883, tls: true });
    expect(options("--port", "1883")).toMatchObject({ port: 1883, broker: undefined });
    expect(options("--devices=3", "--devices", "4").devices).toBe(4); // the last one wins
  });

  it("the ranges' ends are accepted", () => {
    expect(options("--devices", "1").devices).toBe(1);
    expect(options("--devices", String(MAX_DEVICES)).devices).toBe(MAX_DEVICES);
    expect(options("--interval", "10").interval).toBe(10);
    expect(options("--interval", "86400000").interval).toBe(86_400_000);
    expect(options("--port", "65535").port).toBe(65535);
    expect(options("--duration", "0.1").duration).toBe(0.1);
  });

  it("-h and --help, wherever they are and whatever else is wrong: the usage", () => {
    expect(parse("-h")).toEqual({ kind: "help" });
    expect(parse("--devices", "-3", "--help")).toEqual({ kind: "help" });
    expect(parse("--nope", "-h")).toEqual({ kind: "help" });
  });
});

describe("npm start's mistakes: one line, what is wrong, the hint", () => {
  for (const [argv, words] of [
    [["--devices", "-3"], "--devices: a whole number from 1 to 100000, not -3"],
    [["--devices", "abc"], "--devices: a whole number from 1 to 100000, not abc"],
    [["--devices", "0"], "--devices: a whole number from 1 to 100000, not 0"],
    [["--devices", "100001"], "--devices: a whole number from 1 to 100000, not 100001"],
    [["--devices", "2.5"], "--devices: a whole number from 1 to 100000, not 2.5"],
    [["--devices="], '--devices: a whole number from 1 to 100000, not ""'],
    [["--duration", "abc"], "--duration: a number of seconds above 0, up to 2147483, not abc"],
    [["--duration", "0"], "--duration: a number of seconds above 0"],
    [["--duration", "-5"], "--duration: a number of seconds above 0, up to 2147483, not -5"],
    [["--duration", "9999999"], "not 9999999"],
    [["--interval", "5"], "--interval: a whole number of milliseconds from 10 to 86400000, not 5"],
    [["--interval", "1e3"], "--interval: a whole number of milliseconds from 10 to 86400000, not 1e3"],
    [["--port", "0"], "--port: a whole number from 1 to 65535, not 0"],
    [["--port", "http"], "--port: a whole number from 1 to 65535, not http"],
    [["--port", "1883", "--broker", "mqtt://127.0.0.1:1883"], "--port is the embedded broker's port, and --broker names another broker"],
    [["--board", "nope"], "--board: one of esp32_devkit, pico_w, not nope"],
    [["--nope"], "unknown option --nope"],
    [["--devcies", "3"], "unknown option --devcies (did you mean --devices?)"],
    [["--jsno"], "unknown option --jsno (did you mean --json?)"],
    [["-x"], "unknown option -x"],
    [["--nope=1"], "unknown option --nope"],
    [["5"], "unexpected argument 5: every option starts with --"],
    [["--quiet=3"], "--quiet takes no value (not --quiet=3)"],
    [["--devices"], "--devices needs a value: a number of boards"],
    [["--broker", "--quiet"], "--broker needs a value: mqtt://host[:port], mqtts://host[:port], ws://host[:port][/path] or wss://host[:port][/path]"],
    [["--ca", "ca.pem"], "--ca is for an mqtts:// broker"],
    [["--broker", "mqtt://127.0.0.1", "--ca", "ca.pem"], "--ca is for an mqtts:// broker"],
    [["--password", "p"], "--password needs --username too"],
    [["--broker", "http://127.0.0.1:1"], "--broker: http://127.0.0.1:1 has the scheme http://; accepted: mqtt://host[:port], mqtts://host[:port], ws://host[:port][/path] or wss://host[:port][/path]"],
    [["--broker", "mqtt://[::1]:1883"], "--broker: mqtt://[::1]:1883 is an IPv6 address; the simulated boards' sockets are IPv4"],
    // The TLS flags: each only with an mqtts:// --broker, --cert and --key together, no empty values.
    [["--cert", "c.pem", "--key", "k.pem"], "--cert is for an mqtts:// broker (--broker mqtts://host[:port]); the embedded broker is plain mqtt"],
    [["--broker", "mqtt://127.0.0.1", "--cert", "c.pem", "--key", "k.pem"], "--cert is for an mqtts:// broker (--broker mqtts://host[:port]); this one is plain mqtt"],
    [["--key", "k.pem"], "--key is for an mqtts:// broker"],
    [["--alpn", "mqtt"], "--alpn is for an mqtts:// broker"],
    [["--broker", "mqtt://127.0.0.1", "--alpn", "mqtt"], "--alpn is for an mqtts:// broker (--broker mqtts://host[:port]); this one is plain mqtt"],
    [["--servername", "broker.example"], "--servername is for an mqtts:// broker"],
    [["--broker", "mqtt://127.0.0.1", "--servername", "broker.example"], "--servername is for an mqtts:// broker"],
    [["--broker", "mqtts://127.0.0.1", "--cert", "c.pem"], "--cert needs --key too (the certificate's private key, PEM)"],
    [["--broker", "mqtts://127.0.0.1", "--key", "k.pem"], "--key needs --cert too (the certificate the key belongs to, PEM)"],
    [["--broker", "mqtts://127.0.0.1", "--cert=", "--key", "k.pem"], "--cert: a PEM file, not an empty name"],
    [["--broker", "mqtts://127.0.0.1", "--cert", "c.pem", "--key="], "--key: a PEM file, not an empty name"],
    [["--broker", "mqtts://127.0.0.1", "--cert"], "--cert needs a value: a PEM file"],
    [["--broker", "mqtts://127.0.0.1", "--alpn", "--quiet"], "--alpn needs a value: protocol names separated by commas"],
    [["--broker", "mqtts://127.0.0.1", "--alpn="], '--alpn: protocol names of 1 to 255 bytes separated by commas, e.g. mqtt or x-other,mqtt, not ""'],
    [["--broker", "mqtts://127.0.0.1", "--alpn", "mqtt,,x"], "--alpn: protocol names of 1 to 255 bytes separated by commas, e.g. mqtt or x-other,mqtt, not mqtt,,x"],
    [["--broker", "mqtts://127.0.0.1", "--alpn", "mqtt,"], "not mqtt,"],
    [["--broker", "mqtts://127.0.0.1", "--alpn", "x".repeat(256)], "--alpn: protocol names of 1 to 255 bytes"],
    [["--broker", "mqtts://127.0.0.1", "--servername="], '--servername: a host name, not ""'],
    [["--broker", "mqtts://127.0.0.1", "--servername", "mqtts://broker.example"], "--servername: a host name, not mqtts://broker.example"],
    [["--broker", "mqtts://127.0.0.1", "--servername", "a b"], '--servername: a host name, not "a b"'],
    [["--servrname", "x"], "unknown option --servrname (did you mean --servername?)"],
    // --mqtt: 4 or 5, nothing else.
    [["--mqtt", "3"], "--mqtt: 4 (MQTT 3.1.1) or 5 (MQTT 5.0), not 3"],
    [["--mqtt", "5.0"], "--mqtt: 4 (MQTT 3.1.1) or 5 (MQTT 5.0), not 5.0"],
    [["--mqtt", "3.1.1"], "--mqtt: 4 (MQTT 3.1.1) or 5 (MQTT 5.0), not 3.1.1"],
    [["--mqtt", "v5"], "not v5"],
    [["--mqtt="], '--mqtt: 4 (MQTT 3.1.1) or 5 (MQTT 5.0), not ""'],
    [["--mqtt"], "--mqtt needs a value: 4 or 5"],
    [["--mqtt", "--json"], "--mqtt needs a value: 4 or 5"],
  ] as const) {
    it(`${argv.join(" ")}: "${words}"`, () => {
      const message = mistake(...argv);
      expect(message.startsWith("npm start: ")).toBe(true);
      expect(message).toContain(words);
      expect(message.endsWith(` ${HINT}`)).toBe(true);
      expect(message).not.toContain("\n");
    });
  }
});

describe("the TLS flags: --cert, --key, --alpn, --servername (the files are read by cli.ts)", () => {
  it("with an mqtts:// broker: the paths as given, --alpn split at commas, --servername as given", () => {
    const o = options("--broker", "mqtts://127.0.0.1:8883", "--ca", "ca.pem", "--cert", "device.pem", "--key", "device-key.pem", "--alpn", "x-amzn-mqtt-ca,mqtt", "--servername", "broker.example");
    expect(o).toMatchObject({ ca: "ca.pem", cert: "device.pem", key: "device-key.pem", alpn: ["x-amzn-mqtt-ca", "mqtt"], serverName: "broker.example" });
    expect(options("--broker=mqtts://h", "--alpn=mqtt").alpn).toEqual(["mqtt"]);
    expect(options("--broker=mqtts://h", "--servername=localhost").serverName).toBe("localhost");
    expect(options("--broker=mqtts://h", "--cert=c.pem", "--key=k.pem")).toMatchObject({ cert: "c.pem", key: "k.pem" });
  });

  it("each alone where it may be: --alpn and --servername need no certificate; absent, each is undefined", () => {
    expect(options("--broker", "mqtts://h", "--alpn", "mqtt")).toMatchObject({ alpn: ["mqtt"], cert: undefined, key: undefined, serverName: undefined });
    expect(options("--broker", "mqtts://h", "--servername", "h2")).toMatchObject({ serverName: "h2", alpn: undefined });
    expect(options("--broker", "mqtts://h")).toMatchObject({ cert: undefined, key: undefined, alpn: undefined, serverName: undefined });
  });

  it("the usage names each", () => {
    for (const flag of ["--cert FILE", "--key FILE", "--alpn A,B", "--servername NAME", "--mqtt 4|5"]) expect(USAGE).toContain(flag);
  });
});

describe("--mqtt: the MQTT version of every board and the subscriber", () => {
  it("4 by default; 4 and 5 accepted, the last one wins", () => {
    expect(options().mqtt).toBe(4);
    expect(options("--mqtt", "4").mqtt).toBe(4);
    expect(options("--mqtt", "5").mqtt).toBe(5);
    expect(options("--mqtt=5", "--mqtt", "4").mqtt).toBe(4);
  });

  it("what runs: 5 with --broker; 4 with the embedded broker (aedes speaks 3.1.1 only), and the line that says so", () => {
    expect(protocolVersion(options("--mqtt", "5", "--broker", "mqtt://127.0.0.1:1883"))).toEqual({ version: 5 });
    expect(protocolVersion(options("--mqtt", "5", "--broker", "mqtts://broker.example"))).toEqual({ version: 5 });
    expect(protocolVersion(options("--mqtt", "4", "--broker", "mqtt://127.0.0.1:1883"))).toEqual({ version: 4 });
    expect(protocolVersion(options())).toEqual({ version: 4 });
    expect(protocolVersion(options("--mqtt", "5"))).toEqual({ version: 4, fallback: EMBEDDED_V5_FALLBACK });
    expect(protocolVersion(options("--mqtt", "5", "--port", "1883"))).toEqual({ version: 4, fallback: EMBEDDED_V5_FALLBACK });
    expect(EMBEDDED_V5_FALLBACK).toBe(
      "npm start: the embedded broker (aedes) speaks MQTT 3.1.1 only: running at 3.1.1; give --broker mqtt://host:port of a 5.0 broker such as mosquitto for 5.0",
    );
    expect(EMBEDDED_V5_FALLBACK).not.toContain("\n");
  });
});

describe("--broker: the forms the boards take", () => {
  it("mqtt:// and mqtts://, any case, default ports 1883 and 8883, a trailing slash", () => {
    expect(brokerUrl("mqtt://127.0.0.1")).toMatchObject({ host: "127.0.0.1", port: 1883, tls: false });
    expect(brokerUrl("mqtts://broker.example")).toMatchObject({ host: "broker.example", port: 8883, tls: true });
    expect(brokerUrl("MQTT://Broker.Example:1884/")).toMatchObject({ host: "Broker.Example", port: 1884, tls: false });
  });

  it("ws:// and wss://, default ports 80 and 443, with the Upgrade's path (default /)", () => {
    expect(brokerUrl("ws://127.0.0.1:9001/mqtt")).toEqual({ url: "ws://127.0.0.1:9001/mqtt", host: "127.0.0.1", port: 9001, tls: false, websocket: "/mqtt" });
    expect(brokerUrl("wss://broker.example")).toMatchObject({ port: 443, tls: true, websocket: "/" });
    expect(brokerUrl("ws://broker.example/mqtt?x=1")).toContain("has a query or an empty host");
  });

  for (const [url, words] of [
    ["127.0.0.1:1883", "is not a URL; accepted: mqtt://host[:port], mqtts://host[:port], ws://host[:port][/path] or wss://host[:port][/path]"],
    ["tcp://127.0.0.1:1883", "has the scheme tcp://; accepted"],
    ["http://127.0.0.1:9001", "has the scheme http://; accepted"],
    ["mqtt://[::1]", "is an IPv6 address"],
    ["mqtt://[fe80::1%25eth0]:1883", "is an IPv6 address"],
    ["mqtt://::1", "is an IPv6 address"],
    ["mqtt://user:secret@broker.example", "no credentials in the URL; give them with --username and --password"],
    ["mqtt://broker.example/topic", "has a path, a query or an empty host"],
    ["mqtt://broker.example?x=1", "has a path, a query or an empty host"],
    ["mqtt://", "has a path, a query or an empty host"],
    ["mqtt://broker.example:0", "the port must be 1 to 65535, not 0"],
    ["mqtt://broker.example:70000", "the port must be 1 to 65535, not 70000"],
  ] as const) {
    it(`${url}: "${words}"`, () => {
      const result = brokerUrl(url);
      expect(typeof result).toBe("string");
      expect(result).toContain(words);
    });
  }
});

describe("the fleet mode's options: --workers, --connect-rate, --shard", () => {
  it("above 1,000 devices, or with any fleet option, the fleet mode runs; 1,000 without them, the simulator as before", () => {
    expect(isFleet(options("--devices", String(SINGLE_THREAD_DEVICES)))).toBe(false);
    expect(isFleet(options("--devices", String(SINGLE_THREAD_DEVICES + 1)))).toBe(true);
    expect(isFleet(options("--devices", "10", "--workers", "2"))).toBe(true);
    expect(isFleet(options("--devices", "10", "--connect-rate", "50"))).toBe(true);
    expect(isFleet(options("--devices", "10", "--shard", "1/2"))).toBe(true);
    expect(options("--devices", "10000").devices).toBe(10_000);
  });

  it("--workers N, --connect-rate N and --shard I/N are read, with their ranges' ends", () => {
    expect(options("--devices", "10", "--workers", "3", "--connect-rate", "250", "--shard", "2/3")).toMatchObject({ workers: 3, connectRate: 250, shard: { index: 2, count: 3 } });
    expect(options("--workers", "1").workers).toBe(1);
    expect(options("--workers", String(MAX_WORKERS)).workers).toBe(MAX_WORKERS);
    expect(options("--connect-rate", "1").connectRate).toBe(1);
    expect(options("--connect-rate", String(MAX_CONNECT_RATE)).connectRate).toBe(MAX_CONNECT_RATE);
    expect(options("--shard", "1/1").shard).toEqual({ index: 1, count: 1 });
    expect(options("--devices", "5", "--shard=5/5").shard).toEqual({ index: 5, count: 5 });
    expect(options()).toMatchObject({ workers: undefined, connectRate: undefined, shard: undefined });
  });

  for (const [argv, words] of [
    [["--workers", "0"], `--workers: a whole number from 1 to ${MAX_WORKERS}, not 0`],
    [["--workers", String(MAX_WORKERS + 1)], `--workers: a whole number from 1 to ${MAX_WORKERS}, not ${MAX_WORKERS + 1}`],
    [["--workers", "two"], `--workers: a whole number from 1 to ${MAX_WORKERS}, not two`],
    [["--workers"], "--workers needs a value: a number of worker threads"],
    [["--connect-rate", "0"], `--connect-rate: a whole number of connects per second from 1 to ${MAX_CONNECT_RATE}, not 0`],
    [["--connect-rate", "1.5"], "--connect-rate: a whole number of connects per second from 1 to 100000, not 1.5"],
    [["--connect-rate", "100001"], "--connect-rate: a whole number of connects per second from 1 to 100000, not 100001"],
    [["--connect-rate", "--json"], "--connect-rate needs a value: connects per second"],
    [["--shard", "0/2"], "--shard: I/N, shard I of N with I from 1 to N (1/2 and 2/2 run a fleet on two machines), not 0/2"],
    [["--shard", "3/2"], "--shard: I/N, shard I of N with I from 1 to N (1/2 and 2/2 run a fleet on two machines), not 3/2"],
    [["--shard", "1/0"], "--shard: I/N, shard I of N with I from 1 to N (1/2 and 2/2 run a fleet on two machines), not 1/0"],
    [["--shard", "2"], "--shard: I/N, shard I of N with I from 1 to N (1/2 and 2/2 run a fleet on two machines), not 2"],
    [["--shard", "1 / 2"], '--shard: I/N, shard I of N with I from 1 to N (1/2 and 2/2 run a fleet on two machines), not "1 / 2"'],
    [["--shard", "-1/2"], "--shard: I/N, shard I of N with I from 1 to N (1/2 and 2/2 run a fleet on two machines), not -1/2"],
    [["--devices", "2", "--shard", "3/4"], "--shard 3/4: no device of --devices 2 is in shard 3 (shard I runs the devices numbered I - 1, I - 1 + N, ...)"],
    [["--devices", "2000", "--faults"], "--faults is not for the fleet mode (--devices above 1000): give it 1000 devices or fewer, without --workers, --connect-rate or --shard"],
    [["--shard", "1/2", "--faults"], "--faults is not for the fleet mode (--shard)"],
    [["--workers", "2", "--broker", "mqtts://broker.example", "--ca", "ca.pem"], "--ca is not for the fleet mode (--workers) yet: its boards take a --broker without TLS files"],
    [["--connect-rate", "9", "--broker", "mqtts://broker.example", "--alpn", "mqtt"], "--alpn is not for the fleet mode (--connect-rate) yet"],
    [["--devices", "5000", "--web-port", "8080"], "--web-port: the fleet mode (--devices above 1000) has no live page; its load report is on stdout"],
  ] as const) {
    it(`${argv.join(" ")}: "${words}"`, () => {
      const line = mistake(...argv);
      expect(line).toContain(`npm start: ${words}`);
      expect(line.endsWith(HINT)).toBe(true);
      expect(line).not.toContain("\n");
    });
  }

  it("the usage names the fleet options and when the fleet mode runs", () => {
    for (const words of ["--workers N", "--connect-rate N", "--shard I/N", `Fleet mode (--devices above ${SINGLE_THREAD_DEVICES}`]) expect(USAGE).toContain(words);
  });
});
