/**
 * One step of the fleet rows (bench/fleet.ts): N simulated boards (host-sim/fleet/) through a fresh Debian
 * mosquitto on loopback, all connected (paced at 1,000/s at most; the step fails when no board connects for
 * 30 s, or they connect at less than 100/s on average), 5 s to settle, then the window. It holds when no
 * board disconnects, at least 99% of the messages expected arrive (N x perBoard per second, else what the
 * boards published), and the sample-to-arrival p99 is under 100 ms; it stops early once it cannot hold (1%
 * of the window's messages already over 100 ms, or lost, or a board disconnected).
 *
 * Run as a program (`node build/bench/fleet-step.js N SECONDS one|board`), it runs one step in this fresh
 * process, so that the memory per board is measured above this process's own start, not above what earlier
 * steps left, and writes the Step as one JSON line.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { loadBoard, type Board } from "../host-sim/boards.js";
import { Fleet, type Snapshot } from "../host-sim/fleet/fleet.js";
import { loadReport, type LoadReport } from "../host-sim/fleet/load.js";
import { WHOLE } from "../host-sim/fleet/plan.js";
import { BenchBroker } from "./e2e-broker.js";

export const LATENCY_MS = 100;
const RATE = 1000;
const STALL_S = 30;
/** The slowest average connect rate a step accepts. */
const MIN_RATE = 100;

/** esp32_devkit, every sample published (no deadband): with --interval 2000, 1 message/s per board. */
export function benchBoard(): Board {
  const board = loadBoard("esp32_devkit");
  return { ...board, sensors: board.sensors.map((s) => ({ ...s, deadband: undefined, maxInterval: undefined })) } as Board;
}

/** user + system CPU time of a live process, µs, from /proc (10 ms resolution). */
function procCpuUs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100;
}

export interface Step {
  devices: number;
  held: boolean;
  why: string;
  report?: LoadReport;
  /** mosquitto's CPU over the window, cores. */
  brokerCores?: number;
  /** Seconds from the fleet's start until every board was connected. */
  rampS?: number;
}

/** What the boards publish: `perBoard` messages/s each (the step then holds at that rate), or the board's own intervals (undefined). */
export interface StepLoad {
  board: Board;
  interval?: number;
  perBoard?: number;
}

/** The search's load: 1 message/s per board. */
export const ONE_PER_SECOND = (): StepLoad => ({ board: benchBoard(), interval: 2000, perBoard: 1 });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One step: N boards for the window; whether they held (no disconnect, at least 99% of the messages expected
 * received: N x perBoard per second, else what they published, and p99 < 100 ms).
 */
export async function fleetStep(devices: number, load: StepLoad, windowS: number, progress: (line: string) => void): Promise<Step> {
  const broker = await BenchBroker.start();
  const fleet = await Fleet.start({ board: load.board, broker: { host: "127.0.0.1", port: broker.port, tls: false }, protocolVersion: 4, interval: load.interval, total: devices, shard: WHOLE, rate: RATE });
  let failure: string | null = null;
  fleet.onFailure = (error) => (failure = error.message);
  const fail = async (why: string, report?: LoadReport): Promise<Step> => {
    await fleet.stop(0);
    await broker.stop();
    return { devices, held: false, why, report };
  };
  try {
    // Connecting may be slower than RATE (the CPU is shared with the boards already publishing): it fails
    // only when no board connected for STALL_S.
    let now: Snapshot = fleet.baseline;
    let progressAt = Date.now();
    const connectBy = Date.now() + (devices / MIN_RATE + STALL_S) * 1000;
    while (now.connected < devices) {
      const late = Date.now() - progressAt > STALL_S * 1000 ? `none more in ${STALL_S} s` : Date.now() > connectBy ? `after ${((Date.now() - fleet.baseline.at) / 1000).toFixed(0)} s (${MIN_RATE}/s at least)` : null;
      if (failure !== null || late !== null) return await fail(failure ?? `${now.connected} of ${devices} connected, ${late}${now.lastDisconnect ? `; last disconnect: ${now.lastDisconnect}` : ""}`);
      await sleep(1000);
      const next = await fleet.snapshot();
      if (next.connected > now.connected) progressAt = Date.now();
      now = next;
    }
    const rampS = (now.at - fleet.baseline.at) / 1000;
    await sleep(5000);
    const from = await fleet.snapshot();
    const cpu0 = procCpuUs(broker.pid!);
    // 1% of the window's messages: p99's slack, or the loss allowed; a step can fail early only at a known rate.
    const budget = load.perBoard === undefined ? Infinity : devices * load.perBoard * windowS * 0.01;
    for (let s = 0; s < windowS; s += 5) {
      await sleep(Math.min(5, windowS - s) * 1000);
      const to = await fleet.snapshot();
      const r = loadReport(from, to, fleet.baseline);
      const late = over(to, from, LATENCY_MS);
      const lost = r.published - r.received;
      const why =
        failure ?? (r.disconnects > 0 ? `${r.disconnects} disconnects (${r.lastDisconnect})` : late > budget ? `${late} messages over ${LATENCY_MS} ms (p99 ${r.latency.p99} ms)` : lost > budget ? `${lost} messages published and not received` : null);
      if (why !== null) return await fail(why, r);
      if (s + 5 >= windowS) {
        const brokerCores = (procCpuUs(broker.pid!) - cpu0) / 1e6 / r.seconds;
        const expected = load.perBoard === undefined ? r.publishedPerSecond : devices * load.perBoard;
        const held = r.latency.p99 < LATENCY_MS && r.receivedPerSecond >= 0.99 * expected && to.connected === devices;
        const words = `p99 ${r.latency.p99} ms, ${Math.round(r.receivedPerSecond)} msg/s received`;
        await fleet.stop(0);
        await broker.stop();
        return { devices, held, why: held ? words : `${words}: short of ${Math.round(expected)} msg/s or p99 >= ${LATENCY_MS} ms`, report: r, brokerCores, rampS };
      }
    }
    throw new Error("unreachable");
  } catch (error) {
    progress(`fleet step ${devices}: ${(error as Error).message}`);
    return await fail((error as Error).message);
  }
}

/** How many of the window's latencies were `ms` or more. */
function over(to: Snapshot, from: Snapshot, ms: number): number {
  const window = to.latency.since(from.latency);
  let under = 0;
  for (let i = 0; i < ms; i++) under += window.counts[i];
  return window.count - under;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [devices, seconds, kind] = process.argv.slice(2);
  const load = kind === "one" ? ONE_PER_SECOND() : { board: loadBoard("esp32_devkit") };
  const step = await fleetStep(Number(devices), load, Number(seconds), (line) => process.stderr.write(line + "\n"));
  process.stdout.write(JSON.stringify(step) + "\n");
  process.exit(0);
}
