/**
 * The fleet's load report for a window between two snapshots (fleet.ts): devices connected, first-connect
 * times so far, telemetry published and received per second, sample-to-arrival latency, CPU (every thread
 * of the process) and memory, each also per device; as words or as --json fields, in the style of the
 * simulator's other lines (cli-report.ts: `[  5.0s] ...`, or one JSON object with time, device, kind).
 */
import type { Percentiles } from "./histogram.js";
import type { Snapshot } from "./fleet.js";

export interface LoadReport {
  /** The window, s. */
  seconds: number;
  devices: { size: number; booted: number; connected: number; heard: number };
  /** Every first connect so far: ms from the board's start() to its CONNACK. */
  connect: Percentiles;
  connects: number;
  disconnects: number;
  lastDisconnect: string;
  /** Telemetry in the window: handed to the boards' clients, refused by them, and received by the subscriber. */
  published: number;
  refused: number;
  received: number;
  publishedPerSecond: number;
  receivedPerSecond: number;
  /** The window's latency, ms: the sample's "ts" to its arrival at the subscriber. */
  latency: Percentiles;
  /** CPU of the whole process (coordinator and workers) in the window: cores used, and µs per second per booted device. */
  cpu: { cores: number; perDeviceUs: number };
  /** Each worker's event-loop utilisation (0 to 1) over the last snapshot's interval, and the coordinator's (the subscriber's thread). */
  busy: number[];
  coordinatorBusy: number;
  /** Memory at the window's end, bytes; per device: above the baseline taken before any board started, over the booted ones. */
  memory: { rss: number; heapUsed: number; arrayBuffers: number; rssPerDevice: number; heapPerDevice: number };
}

export function loadReport(from: Snapshot, to: Snapshot, baseline: Snapshot): LoadReport {
  const seconds = (to.at - from.at) / 1000;
  const cpuUs = to.cpu.user + to.cpu.system - from.cpu.user - from.cpu.system;
  const booted = to.booted;
  return {
    seconds,
    devices: { size: to.size, booted, connected: to.connected, heard: to.heard },
    connect: to.connectTimes.percentiles(),
    connects: to.connects - from.connects,
    disconnects: to.disconnects - from.disconnects,
    lastDisconnect: to.disconnects > from.disconnects ? to.lastDisconnect : "",
    published: to.published - from.published,
    refused: to.refused - from.refused,
    received: to.received - from.received,
    publishedPerSecond: (to.published - from.published) / seconds,
    receivedPerSecond: (to.received - from.received) / seconds,
    latency: to.latency.since(from.latency).percentiles(),
    cpu: { cores: cpuUs / 1e6 / seconds, perDeviceUs: cpuUs / seconds / booted },
    busy: to.busy,
    coordinatorBusy: to.coordinatorBusy,
    memory: {
      rss: to.rss,
      heapUsed: to.heapUsed,
      arrayBuffers: to.arrayBuffers,
      rssPerDevice: (to.rss - baseline.rss) / booted,
      heapPerDevice: (to.heapUsed + to.arrayBuffers - baseline.heapUsed - baseline.arrayBuffers) / booted,
    },
  };
}

const n = (value: number, digits = 0) => (Number.isFinite(value) ? value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits }) : "n/a");
const mb = (bytes: number) => `${n(bytes / 2 ** 20)} MB`;
const kb = (bytes: number) => `${n(bytes / 1024, 1)} KB`;
const ms = (p: Percentiles) => (p.count === 0 ? "none yet" : `p50 ${p.p50} ms, p90 ${p.p90}, p99 ${p.p99}, max ${p.max}${p.max >= 60_000 ? "+" : ""}`);

/** The report in words, on one line (the final one names its window). */
export function loadText(r: LoadReport, label = "load"): string {
  const d = r.devices;
  return (
    `${label}: ${n(d.connected)}/${n(d.size)} connected (${n(d.booted)} started, ${n(d.heard)} heard from); ` +
    `connect ${ms(r.connect)}; ` +
    `telemetry ${n(r.publishedPerSecond)}/s published, ${n(r.receivedPerSecond)}/s received; ` +
    `latency ${ms(r.latency)}; ` +
    `CPU ${n(r.cpu.cores, 2)} cores (${n(r.cpu.perDeviceUs, 1)} us/s per device), busy: workers ${r.busy.map((b) => `${Math.round(b * 100)}%`).join(" ")}, subscriber ${Math.round(r.coordinatorBusy * 100)}%; ` +
    `RSS ${mb(r.memory.rss)} (${kb(r.memory.rssPerDevice)}/device), heap ${mb(r.memory.heapUsed)} + buffers ${mb(r.memory.arrayBuffers)} (${kb(r.memory.heapPerDevice)}/device)` +
    (r.disconnects > 0 ? `; ${n(r.disconnects)} disconnects (last: ${r.lastDisconnect})` : "") +
    (r.refused > 0 ? `; ${n(r.refused)} samples refused by the clients` : "")
  );
}

const rounded = (p: Percentiles) => ({ count: p.count, p50: p.p50, p90: p.p90, p99: p.p99, max: p.max });
const finite = (value: number, digits = 1) => (Number.isFinite(value) ? Number(value.toFixed(digits)) : null);

/** The report as --json fields. */
export function loadFields(r: LoadReport): Record<string, unknown> {
  return {
    seconds: finite(r.seconds, 3),
    devices: r.devices,
    connect: rounded(r.connect),
    connects: r.connects,
    disconnects: r.disconnects,
    ...(r.lastDisconnect ? { lastDisconnect: r.lastDisconnect } : {}),
    published: r.published,
    refused: r.refused,
    received: r.received,
    publishedPerSecond: finite(r.publishedPerSecond),
    receivedPerSecond: finite(r.receivedPerSecond),
    latency: rounded(r.latency),
    cpu: { cores: finite(r.cpu.cores, 3), perDeviceUs: finite(r.cpu.perDeviceUs, 2) },
    busy: r.busy.map((b) => finite(b, 3)),
    coordinatorBusy: finite(r.coordinatorBusy, 3),
    memory: { ...r.memory, rssPerDevice: finite(r.memory.rssPerDevice, 0), heapPerDevice: finite(r.memory.heapPerDevice, 0) },
  };
}

/** One line as the simulator writes them: `[  5.0s] words` or `{"time":5,"device":null,"kind":...,...}`. */
export function reportLine(json: boolean, elapsedMs: number, kind: string, fields: Record<string, unknown>, text: string): string {
  if (json) return JSON.stringify({ time: Math.round(elapsedMs) / 1000, device: null, kind, ...fields }) + "\n";
  return `[${(elapsedMs / 1000).toFixed(1).padStart(6)}s] ${text}\n`;
}
