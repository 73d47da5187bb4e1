// npm start's command line, read without a process (host-sim/cli-args.ts): each mistake is one line that
// says what is wrong and how to see the options; each option's default and range.
import { describe, expect, it } from "vitest";
import { HINT, MAX_DEVICES, brokerUrl, parseCommandLine, type CliOptions } from "../../host-sim/cli-args.js";

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
    [["--devices", "-3"], "--devices: a whole number from 1 to 1000, not -3"],
    [["--devices", "abc"], "--devices: a whole number from 1 to 1000, not abc"],
    [["--devices", "0"], "--devices: a whole number from 1 to 1000, not 0"],
    [["--devices", "1001"], "--devices: a whole number from 1 to 1000, not 1001"],
    [["--devices", "2.5"], "--devices: a whole number from 1 to 1000, not 2.5"],
    [["--devices="], '--devices: a whole number from 1 to 1000, not ""'],
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
    [["--broker", "--quiet"], "--broker needs a value: mqtt://host[:port] or mqtts://host[:port]"],
    [["--ca", "ca.pem"], "--ca is for an mqtts:// broker"],
    [["--broker", "mqtt://127.0.0.1", "--ca", "ca.pem"], "--ca is for an mqtts:// broker"],
    [["--password", "p"], "--password needs --username too"],
    [["--broker", "http://127.0.0.1:1"], "--broker: http://127.0.0.1:1 has the scheme http://; accepted: mqtt://host[:port] or mqtts://host[:port]"],
    [["--broker", "mqtt://[::1]:1883"], "--broker: mqtt://[::1]:1883 is an IPv6 address; the simulated boards' sockets are IPv4"],
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

describe("--broker: the forms the boards take", () => {
  it("mqtt:// and mqtts://, any case, default ports 1883 and 8883, a trailing slash", () => {
    expect(brokerUrl("mqtt://127.0.0.1")).toMatchObject({ host: "127.0.0.1", port: 1883, tls: false });
    expect(brokerUrl("mqtts://broker.example")).toMatchObject({ host: "broker.example", port: 8883, tls: true });
    expect(brokerUrl("MQTT://Broker.Example:1884/")).toMatchObject({ host: "Broker.Example", port: 1884, tls: false });
  });

  for (const [url, words] of [
    ["127.0.0.1:1883", "is not a URL; accepted: mqtt://host[:port] or mqtts://host[:port]"],
    ["tcp://127.0.0.1:1883", "has the scheme tcp://; accepted"],
    ["ws://127.0.0.1:9001", "has the scheme ws://; accepted"],
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
