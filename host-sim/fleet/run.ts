/**
 * `npm start` in fleet mode (isFleet: --devices above 1,000, or --workers, --connect-rate or --shard): the
 * boards of this shard spread over worker threads (fleet.ts), against --broker or the embedded aedes
 * (small fleets: it shares the main thread), with the load report every 5 s and, at the end (Ctrl-C or
 * --duration), over the whole run and over the part since every board was connected.
 */
import { readFileSync } from "node:fs";
import type { BrokerAddress } from "../../firmware/net/connection.js";
import { loadBoard } from "../boards.js";
import { startEmbeddedBroker, type EmbeddedBroker } from "../broker.js";
import { MQTT_VERSIONS, mistake, protocolVersion, type CliOptions } from "../cli-args.js";
import { EventLog } from "../cli-report.js";
import { Fleet, type Snapshot } from "./fleet.js";
import { loadFields, loadReport, loadText, reportLine } from "./load.js";
import { shardSize, WHOLE } from "./plan.js";

export { isFleet } from "../cli-args.js";

/** Connects started per second when --connect-rate is not given. */
export const DEFAULT_CONNECT_RATE = 1000;
/** The load report's period, ms. */
export const REPORT_MS = 5000;

/** A number read from a /proc file, or undefined off Linux. */
function procNumbers(path: string, pattern: RegExp): number[] | undefined {
  try {
    const found = pattern.exec(readFileSync(path, "utf8"));
    return found === null ? undefined : found.slice(1).map(Number);
  } catch {
    return undefined;
  }
}

/**
 * What this machine refuses before a board starts: more sockets than the process may open (ulimit -n), or
 * more connections to one broker address than there are local ports. The words, or undefined.
 */
export function beyondLimits(sockets: number, devices: number, shardFlag: boolean): string | undefined {
  const split = shardFlag ? "or run more shards (--shard)" : "or split the fleet into shards (--shard I/N), on this machine or others";
  const files = procNumbers("/proc/self/limits", /Max open files\s+(\d+)\s+(\d+|unlimited)/);
  const needed = sockets + 100; // the subscriber, the workers, Node's own
  if (files !== undefined && needed > files[0]) {
    // Node raises its soft limit to the hard one as it starts: the hard limit is the one to raise.
    return `${devices} devices in this process need about ${needed} file descriptors, over its limit of ${files[0]} (ulimit -Hn): raise it (as root: ulimit -n ${needed}) ${split}`;
  }
  const range = procNumbers("/proc/sys/net/ipv4/ip_local_port_range", /(\d+)\s+(\d+)/);
  if (range !== undefined && devices > range[1] - range[0] + 1) {
    return `${devices} devices in this process need ${devices} local ports to one broker address, more than net.ipv4.ip_local_port_range gives (${range[1] - range[0] + 1}): ${split}`;
  }
  return undefined;
}

export async function runFleet(values: CliOptions): Promise<void> {
  const start = Date.now();
  const elapsed = () => Date.now() - start;
  const write = (line: string) => process.stdout.write(line);
  const board = loadBoard(values.board);
  const shard = values.shard ?? WHOLE;
  const size = shardSize(values.devices, shard);
  const beyond = beyondLimits(values.broker ? size : 2 * size, size, values.shard !== undefined);
  if (beyond !== undefined) {
    process.stderr.write(mistake(beyond) + "\n");
    process.exit(2);
  }
  let embedded: EmbeddedBroker | null = null;
  let broker: BrokerAddress;
  if (values.broker) {
    const { host, port, tls, websocket } = values.broker;
    broker = { host, port, tls, websocket };
  } else {
    try {
      embedded = await startEmbeddedBroker(values.port ?? 0);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (values.port === undefined || (code !== "EADDRINUSE" && code !== "EACCES")) throw error;
      process.stderr.write(mistake(`--port ${values.port}: ${code === "EADDRINUSE" ? "the port is in use" : "not allowed to listen there"} on 127.0.0.1; choose another, or leave --port out for a free one`) + "\n");
      process.exit(2);
    }
    broker = { host: "127.0.0.1", port: embedded.port, tls: false };
  }
  const url = values.broker?.url ?? embedded!.url;
  const { version, fallback } = protocolVersion(values);
  if (fallback !== undefined) process.stderr.write(fallback + "\n");
  const rate = values.connectRate ?? DEFAULT_CONNECT_RATE;

  const fleet = await Fleet.start({
    board,
    broker,
    username: values.username,
    password: values.password,
    protocolVersion: version,
    interval: values.interval,
    total: values.devices,
    shard,
    workers: values.workers,
    rate,
  });
  fleet.onFailure = (error) => {
    process.stderr.write(`npm start: ${error.message}\n`);
    process.exit(1);
  };
  if (fleet.failure !== null) fleet.onFailure(fleet.failure);
  const shardWords = shard.count > 1 ? `shard ${shard.index}/${shard.count} (${size} of ${values.devices} devices: numbers ${shard.index - 1}, ${shard.index - 1 + shard.count}, ...)` : `${size} devices`;
  new EventLog(write, elapsed, { json: values.json, quiet: false }).start(
    {
      mode: "fleet",
      board: board.name,
      devices: values.devices,
      shard: { index: shard.index, count: shard.count, devices: size },
      workers: fleet.workers.length,
      connectRate: rate,
      broker: url,
      embedded: embedded !== null,
      protocolVersion: version,
      mqtt: MQTT_VERSIONS[version],
      interval: values.interval ?? null,
      intervalSource: values.interval === undefined ? "board" : "--interval",
    },
    `mqtt-xs fleet: ${shardWords} x ${board.name} on ${fleet.workers.length} worker threads -> ${url}${embedded ? " (embedded aedes)" : ""}, MQTT ${MQTT_VERSIONS[version]}, ` +
      `${rate} connects/s, telemetry at ${values.interval === undefined ? "the board's intervals" : `${values.interval} ms (--interval)`}; a load report every ${REPORT_MS / 1000} s; Ctrl-C to stop`,
  );

  const report = (kind: string, from: Snapshot, to: Snapshot, label: string, extra: Record<string, unknown>) => {
    const r = loadReport(from, to, fleet.baseline);
    write(reportLine(values.json, elapsed(), kind, { ...extra, ...loadFields(r) }, loadText(r, label)));
  };
  let previous = fleet.baseline;
  let steady: Snapshot | null = null;
  let ticks = 0;
  let busy = false;
  let stopping = false;
  // Every second: whether every board is connected now (the steady window's start); every 5th, the report.
  const poll = setInterval(async () => {
    if (busy || stopping) return;
    busy = true;
    const now = await fleet.snapshot();
    busy = false;
    if (stopping) return;
    if (steady === null && now.connected === size) steady = now;
    if (++ticks % (REPORT_MS / 1000) === 0) {
      report("load", previous, now, "load", { window: "period" });
      previous = now;
    }
  }, 1000);

  const stop = async () => {
    if (stopping) return;
    stopping = true;
    clearInterval(poll);
    while (busy) await new Promise((r) => setTimeout(r, 10));
    const end = await fleet.snapshot();
    report("load", fleet.baseline, end, "whole run", { window: "run" });
    if (steady !== null && end.at - steady.at >= 1000) {
      const since = (steady.at - start) / 1000;
      report("load", steady, end, `since all ${size} connected at ${since.toFixed(1)} s`, { window: "steady", since });
    } else {
      write(reportLine(values.json, elapsed(), "load", { window: "steady", since: null }, `not every board connected for a second: no steady window (${end.connected}/${size} connected at the end)`));
    }
    const last = await fleet.stop();
    if (last !== null) {
      const totals = { published: last.published, refused: last.refused, received: last.received, others: last.others, sent: last.sent, acked: last.acked, dropped: last.dropped, connects: last.connects, disconnects: last.disconnects };
      const others = last.others > 0 ? ` (and ${last.others} of other shards' devices)` : "";
      const text = `totals after stop: telemetry published ${last.published} (refused ${last.refused}), received ${last.received}${others}; packets sent ${last.sent}, acked ${last.acked}, dropped ${last.dropped}; connects ${last.connects}, disconnects ${last.disconnects}`;
      write(reportLine(values.json, elapsed(), "totals", totals, text));
    }
    if (embedded) await embedded.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
  if (values.duration !== undefined) setTimeout(() => void stop(), values.duration * 1000);
}
