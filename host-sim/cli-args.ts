/**
 * `npm start`'s command line, read and checked without I/O: the usage, each option's rule, and for a
 * mistake the one line that says what is wrong (host-sim/cli.ts prints it and exits 2). The boards are
 * passed in (boards/*.json, read by the caller), so every case can be checked without a process.
 */

/**
 * The largest fleet, over all its shards: ten shards of the 10,000 one 2-core machine runs (README, the
 * fleet); one process is bounded by its file descriptors and its ports to one broker, checked at start.
 */
export const MAX_DEVICES = 100_000;
/** Above this many devices the fleet mode runs (host-sim/fleet/): worker threads, paced connects, the load report. */
export const SINGLE_THREAD_DEVICES = 1000;
/** --workers' limit, and --connect-rate's (connects per second). */
export const MAX_WORKERS = 64;
export const MAX_CONNECT_RATE = 100_000;
/** --interval's range, ms: the telemetry commands' own (10 ms to a day, firmware/telemetry/commands.ts). */
export const MIN_INTERVAL_MS = 10;
export const MAX_INTERVAL_MS = 86_400_000;
/** --duration's limit, s: the longest a Node timer waits (2^31 - 1 ms). */
export const MAX_DURATION_S = 2_147_483;

/** The broker forms the simulated boards take. */
export const BROKER_FORMS = "mqtt://host[:port], mqtts://host[:port], ws://host[:port][/path] or wss://host[:port][/path]";

/** The MQTT versions --mqtt takes: 4 (MQTT 3.1.1) and 5 (MQTT 5.0), the client's protocolVersion. */
export const MQTT_VERSIONS = { 4: "3.1.1", 5: "5.0" } as const;

/** What --mqtt 5 without --broker prints (on stderr) before running at 3.1.1. */
export const EMBEDDED_V5_FALLBACK =
  "npm start: the embedded broker (aedes) speaks MQTT 3.1.1 only: running at 3.1.1; give --broker mqtt://host:port of a 5.0 broker such as mosquitto for 5.0";

export const USAGE = `Usage: npm start -- [options]

  --broker URL        ${BROKER_FORMS} (default: the embedded aedes broker on 127.0.0.1);
                      an IPv4 address or a host name: the boards' sockets are IPv4, as on the device
  --port N            the embedded broker's port (default: a free one); not with --broker
  --username NAME     --password SECRET     credentials for the broker
  --ca FILE           CA certificate (PEM) for an mqtts:// broker
  --cert FILE         mutual TLS: our certificate (PEM; several blocks: ours, then its intermediates);
                      needs --key and an mqtts:// --broker
  --key FILE          mutual TLS: its private key (PEM, an RSA key: the device's TLS signs with RSA only)
  --alpn A,B          ALPN protocols offered, in order (e.g. mqtt); an mqtts:// --broker only
  --servername NAME   the name sent in SNI and checked in the broker's certificate (default: the
                      --broker host); an mqtts:// --broker only
  --mqtt 4|5          MQTT 3.1.1 (4, the default) or 5.0 (5) for every board and the subscriber; the
                      embedded broker speaks 3.1.1 only (5 needs --broker)
  --board NAME        esp32_devkit (default) or pico_w (boards/)
  --devices N         simulate a fleet of N boards, 1 to ${MAX_DEVICES} (default 1); above ${SINGLE_THREAD_DEVICES}, the
                      fleet mode (below)
  --interval MS       telemetry interval of every sensor, ${MIN_INTERVAL_MS} to ${MAX_INTERVAL_MS}
                      (default: each sensor's own, from the board file)
  --faults            every 7 s, one of: drop a link, stall it, deliver bytes one at a time, take
                      Wi-Fi away, restart the embedded broker
  --duration SECONDS  stop by itself after this long (default: run until Ctrl-C)
  --quiet             only the summaries
  --json              one JSON object per line on stdout (time, device, kind and the event's fields),
                      the summaries too; nothing else on stdout (npm start -s -- --json: nor npm's header)
  --web-port N        the live page's port on 127.0.0.1 (default: a free one; the start line gives it)
  --no-web            no live page
  -h, --help          this text

Fleet mode (--devices above ${SINGLE_THREAD_DEVICES}, or any of these): the boards spread over worker threads, a load
report every 5 s and at the end (devices connected, connect times, messages/s, latency from each sample's
"ts" to a subscriber here, CPU and memory per device) instead of every event and the live page; no
--faults, no TLS files.
  --workers N         worker threads, 1 to ${MAX_WORKERS} (default: one per core)
  --connect-rate N    connects per second started, 1 to ${MAX_CONNECT_RATE}, split over the workers (default 1000)
  --shard I/N         run shard I of N (I from 1 to N): the devices whose number (0 to --devices - 1)
                      leaves I - 1 divided by N; the other shards, on this or other machines, run the rest

Exit status: 0 when stopped (Ctrl-C or --duration), 1 when the simulator fails, 2 for a mistake on the
command line (one line on stderr saying what).
`;

/** The hint that ends every mistake's line. */
export const HINT = "(npm start -- --help for the options)";

export interface BrokerUrl {
  url: string;
  host: string;
  port: number;
  tls: boolean;
  /** ws:// and wss://: the WebSocket Upgrade's path. */
  websocket?: string;
}

export interface CliOptions {
  /** Absent: the embedded broker. */
  broker?: BrokerUrl;
  /** The embedded broker's port; absent: a free one. */
  port?: number;
  username?: string;
  password?: string;
  /** The CA file's path (read by the caller). */
  ca?: string;
  /** Mutual TLS: the certificate file (PEM, one or more blocks) and the private key file (PEM); paths, read by the caller. */
  cert?: string;
  key?: string;
  /** ALPN protocols offered, in order. */
  alpn?: string[];
  /** The name sent in SNI and checked in the broker's certificate. */
  serverName?: string;
  /** The MQTT version asked for (--mqtt): 4 (3.1.1, the default) or 5 (5.0); see protocolVersion() for what runs. */
  mqtt: 4 | 5;
  board: string;
  devices: number;
  /** Telemetry interval of every sensor, ms; absent: each sensor's own (the board file's). */
  interval?: number;
  faults: boolean;
  /** Seconds; absent: until Ctrl-C. */
  duration?: number;
  quiet: boolean;
  json: boolean;
  /** --no-web: no live page (absent: the page is served). */
  noWeb?: true;
  /** The live page's port; absent: a free one. */
  webPort?: number;
  /** Fleet mode: worker threads (absent: one per core). */
  workers?: number;
  /** Fleet mode: connects started per second, over all workers (absent: the fleet's default). */
  connectRate?: number;
  /** Fleet mode: this process runs shard `index` (1 to `count`): the devices numbered index - 1 + k * count. */
  shard?: { index: number; count: number };
}

/** Whether the fleet mode runs (host-sim/fleet/): more than SINGLE_THREAD_DEVICES devices, or a fleet option given. */
export function isFleet(options: Pick<CliOptions, "devices" | "workers" | "connectRate" | "shard">): boolean {
  return options.devices > SINGLE_THREAD_DEVICES || options.workers !== undefined || options.connectRate !== undefined || options.shard !== undefined;
}

export type CommandLine = { kind: "run"; options: CliOptions } | { kind: "help" } | { kind: "error"; message: string };

/** Each option: whether it takes a value, and what the value is (for "needs a value"). */
const SPECS: Record<string, string | null> = {
  broker: BROKER_FORMS,
  port: "a port number",
  username: "a user name",
  password: "a password",
  ca: "a PEM file",
  cert: "a PEM file",
  key: "a PEM file",
  alpn: "protocol names separated by commas",
  servername: "a host name",
  mqtt: "4 or 5",
  board: "a board name",
  devices: "a number of boards",
  interval: "milliseconds",
  duration: "seconds",
  workers: "a number of worker threads",
  "connect-rate": "connects per second",
  shard: "I/N, shard I of N",
  faults: null,
  quiet: null,
  json: null,
  "no-web": null,
  "web-port": "a port number",
  help: null,
};

/** A value as the user typed it: bare when that is unambiguous, else quoted. */
const shown = (value: string): string => (/^[^\s"']+$/.test(value) ? value : JSON.stringify(value));

/** The mistake's line: `npm start: <what>` and the hint. */
export const mistake = (what: string): string => `npm start: ${what} ${HINT}`;

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length];
}

function unknown(option: string): string {
  const name = option.replace(/^-+/, "");
  const near = Object.keys(SPECS).find((known) => distance(name, known) <= 2);
  return `unknown option ${shown(option)}${near ? ` (did you mean --${near}?)` : ""}`;
}

/** A whole number from min to max, or the words for what it should have been. */
function whole(name: string, value: string, min: number, max: number, unit = ""): number | string {
  const n = /^\d{1,15}$/.test(value) ? Number(value) : NaN;
  if (n >= min && n <= max) return n;
  return `--${name}: a whole number${unit} from ${min} to ${max}, not ${shown(value)}`;
}

/** Checks a broker URL the way the boards take it: mqtt(s):// or ws(s)://, a host (IPv4 or a name), an optional port, a path for ws(s). */
export function brokerUrl(url: string): BrokerUrl | string {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(url);
  if (scheme === null) return `--broker: ${shown(url)} is not a URL; accepted: ${BROKER_FORMS}`;
  const name = scheme[1].toLowerCase();
  if (name !== "mqtt" && name !== "mqtts" && name !== "ws" && name !== "wss") return `--broker: ${shown(url)} has the scheme ${name}://; accepted: ${BROKER_FORMS}`;
  const ws = name === "ws" || name === "wss";
  const rest = scheme[2];
  if (rest.includes("[") || /^[^/]*:[^/]*:/.test(rest)) {
    return `--broker: ${shown(url)} is an IPv6 address; the simulated boards' sockets are IPv4, as on the device: give an IPv4 address or a host name`;
  }
  if (rest.includes("@")) return `--broker: ${shown(url)}: no credentials in the URL; give them with --username and --password`;
  const form = (ws ? /^([^\s:/?#]+)(?::(\d{1,5}))?(\/[^\s?#]*)?$/ : /^([^\s:/?#]+)(?::(\d{1,5}))?\/?$/).exec(rest);
  if (form === null) return `--broker: ${shown(url)} has ${ws ? "a query or an empty host" : "a path, a query or an empty host"}; accepted: ${BROKER_FORMS}`;
  const tls = name === "mqtts" || name === "wss";
  const port = form[2] !== undefined ? Number(form[2]) : ws ? (tls ? 443 : 80) : tls ? 8883 : 1883;
  if (port < 1 || port > 65535) return `--broker: ${shown(url)}: the port must be 1 to 65535, not ${port}`;
  return ws ? { url, host: form[1], port, tls, websocket: form[3] ?? "/" } : { url, host: form[1], port, tls };
}

/**
 * Reads the command line (what follows `npm start --`). Options: `--name value` or `--name=value`; a
 * value may start with one dash (so `--devices -3` is read, and refused for what it is); the last of a
 * repeated option wins. `-h` or `--help` anywhere: the usage.
 */
export function parseCommandLine(argv: readonly string[], boards: readonly string[]): CommandLine {
  if (argv.includes("-h") || argv.includes("--help")) return { kind: "help" };
  const error = (what: string): CommandLine => ({ kind: "error", message: mistake(what) });
  const raw: Record<string, string> = {};
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("-") || arg === "-" || arg === "--") return error(`unexpected argument ${shown(arg)}: every option starts with --`);
    if (!arg.startsWith("--")) return error(unknown(arg));
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const inline = eq < 0 ? undefined : arg.slice(eq + 1);
    if (!Object.hasOwn(SPECS, name)) return error(unknown(eq < 0 ? arg : arg.slice(0, eq)));
    const what = SPECS[name];
    if (what === null) {
      if (inline !== undefined) return error(`--${name} takes no value (not ${shown(arg)})`);
      flags.add(name);
      continue;
    }
    const value = inline ?? argv[i + 1];
    if (value === undefined || (inline === undefined && value.startsWith("--"))) return error(`--${name} needs a value: ${what}`);
    if (inline === undefined) i++;
    raw[name] = value;
  }

  const board = raw.board ?? "esp32_devkit";
  if (!boards.includes(board)) return error(`--board: one of ${boards.join(", ")}, not ${shown(board)}`);
  const devices = raw.devices === undefined ? 1 : whole("devices", raw.devices, 1, MAX_DEVICES);
  if (typeof devices === "string") return error(devices);
  const interval = raw.interval === undefined ? undefined : whole("interval", raw.interval, MIN_INTERVAL_MS, MAX_INTERVAL_MS, " of milliseconds");
  if (typeof interval === "string") return error(interval);
  let duration: number | undefined;
  if (raw.duration !== undefined) {
    duration = /^\d{1,9}(\.\d+)?$/.test(raw.duration) ? Number(raw.duration) : NaN;
    if (!(duration > 0 && duration <= MAX_DURATION_S)) return error(`--duration: a number of seconds above 0, up to ${MAX_DURATION_S}, not ${shown(raw.duration)}`);
  }
  const port = raw.port === undefined ? undefined : whole("port", raw.port, 1, 65535);
  if (typeof port === "string") return error(port);
  const webPort = raw["web-port"] === undefined ? undefined : whole("web-port", raw["web-port"], 1, 65535);
  if (typeof webPort === "string") return error(webPort);
  if (webPort !== undefined && flags.has("no-web")) return error("--web-port is the live page's port, and --no-web turns the page off: give one or the other");
  let broker: BrokerUrl | undefined;
  if (raw.broker !== undefined) {
    const checked = brokerUrl(raw.broker);
    if (typeof checked === "string") return error(checked);
    broker = checked;
  }
  if (broker !== undefined && port !== undefined) {
    return error(`--port is the embedded broker's port, and --broker names another broker: give its port in the URL (mqtt://host:${port}), or leave --broker out`);
  }
  if (raw.ca !== undefined && !broker?.tls) return error("--ca is for an mqtts:// broker (--broker mqtts://host[:port]); the embedded broker is plain mqtt");
  if (raw.ca === "") return error("--ca: a PEM file, not an empty name");
  for (const name of ["cert", "key", "alpn", "servername"] as const) {
    if (raw[name] !== undefined && !broker?.tls) return error(`--${name} is for an mqtts:// broker (--broker mqtts://host[:port]); ${broker ? "this one is plain mqtt" : "the embedded broker is plain mqtt"}`);
  }
  if (raw.cert === "" || raw.key === "") return error(`--${raw.cert === "" ? "cert" : "key"}: a PEM file, not an empty name`);
  if (raw.cert !== undefined && raw.key === undefined) return error("--cert needs --key too (the certificate's private key, PEM)");
  if (raw.key !== undefined && raw.cert === undefined) return error("--key needs --cert too (the certificate the key belongs to, PEM)");
  let alpn: string[] | undefined;
  if (raw.alpn !== undefined) {
    alpn = raw.alpn.split(",");
    if (alpn.some((p) => p.length === 0 || Buffer.byteLength(p) > 255)) {
      return error(`--alpn: protocol names of 1 to 255 bytes separated by commas, e.g. mqtt or x-other,mqtt, not ${shown(raw.alpn)}`);
    }
  }
  if (raw.servername !== undefined && !/^[^\s\/:@]+$/.test(raw.servername)) return error(`--servername: a host name, not ${shown(raw.servername)}`);
  let mqtt: 4 | 5 = 4;
  if (raw.mqtt !== undefined) {
    if (raw.mqtt !== "4" && raw.mqtt !== "5") return error(`--mqtt: 4 (MQTT 3.1.1) or 5 (MQTT 5.0), not ${shown(raw.mqtt)}`);
    mqtt = raw.mqtt === "5" ? 5 : 4;
  }
  if (raw.password !== undefined && raw.username === undefined) return error("--password needs --username too (MQTT 3.1.1 sends no password without a user name)");
  const workers = raw.workers === undefined ? undefined : whole("workers", raw.workers, 1, MAX_WORKERS);
  if (typeof workers === "string") return error(workers);
  const connectRate = raw["connect-rate"] === undefined ? undefined : whole("connect-rate", raw["connect-rate"], 1, MAX_CONNECT_RATE, " of connects per second");
  if (typeof connectRate === "string") return error(connectRate);
  let shard: { index: number; count: number } | undefined;
  if (raw.shard !== undefined) {
    const form = /^(\d{1,6})\/(\d{1,6})$/.exec(raw.shard);
    const [index, count] = form === null ? [NaN, NaN] : [Number(form[1]), Number(form[2])];
    if (!(count >= 1 && index >= 1 && index <= count)) return error(`--shard: I/N, shard I of N with I from 1 to N (1/2 and 2/2 run a fleet on two machines), not ${shown(raw.shard)}`);
    if (index > devices) return error(`--shard ${index}/${count}: no device of --devices ${devices} is in shard ${index} (shard I runs the devices numbered I - 1, I - 1 + N, ...)`);
    shard = { index, count };
  }
  if (isFleet({ devices, workers, connectRate, shard })) {
    const why = devices > SINGLE_THREAD_DEVICES ? `--devices above ${SINGLE_THREAD_DEVICES}` : raw.shard !== undefined ? "--shard" : raw.workers !== undefined ? "--workers" : "--connect-rate";
    if (flags.has("faults")) return error(`--faults is not for the fleet mode (${why}): give it ${SINGLE_THREAD_DEVICES} devices or fewer, without --workers, --connect-rate or --shard`);
    for (const name of ["ca", "cert", "key", "alpn", "servername"] as const) {
      if (raw[name] !== undefined) return error(`--${name} is not for the fleet mode (${why}) yet: its boards take a --broker without TLS files (mqtts:// and wss:// verified by the system's CAs)`);
    }
    if (webPort !== undefined) return error(`--web-port: the fleet mode (${why}) has no live page; its load report is on stdout`);
  }
  return {
    kind: "run",
    options: {
      broker,
      port,
      username: raw.username,
      password: raw.password,
      ca: raw.ca,
      cert: raw.cert,
      key: raw.key,
      alpn,
      serverName: raw.servername,
      mqtt,
      board,
      devices,
      interval,
      faults: flags.has("faults"),
      duration,
      quiet: flags.has("quiet"),
      json: flags.has("json"),
      noWeb: flags.has("no-web") ? true : undefined,
      webPort,
      workers,
      connectRate,
      shard,
    },
  };
}

/**
 * The MQTT version that runs: --mqtt's, except 5 without --broker, which runs at 4 since the embedded
 * broker (aedes) speaks 3.1.1 only; then `fallback` is the line that says so (EMBEDDED_V5_FALLBACK).
 */
export function protocolVersion(options: Pick<CliOptions, "mqtt" | "broker">): { version: 4 | 5; fallback?: string } {
  if (options.mqtt === 5 && options.broker === undefined) return { version: 4, fallback: EMBEDDED_V5_FALLBACK };
  return { version: options.mqtt };
}
