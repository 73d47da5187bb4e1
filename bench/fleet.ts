/**
 * The fleet rows of `npm run bench` (host-sim/fleet/: the firmware's device app, each board with its own
 * client, buffers and socket, over worker threads, one per core), each step a fresh process and a fresh
 * mosquitto (bench/fleet-step.ts):
 * - the most boards that hold 1 telemetry message per second each for 60 s with the sample-to-arrival p99
 *   under 100 ms (esp32_devkit's two sensors every 2 s, their deadbands taken out: every sample published,
 *   QoS 1), and the memory per board at that count. The count doubles from 2,000 while steps hold (up to
 *   what the process's file descriptors allow), then is bisected until the gap is 10% of the count that held;
 * - the issue's fleet as `npm start -- --devices 10000` runs it: 10,000 boards at esp32_devkit's own
 *   intervals and deadbands for the window, its p99 against the same 100 ms, with its connects, rate, CPU
 *   and memory per board beside it.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { beyondLimits } from "../host-sim/fleet/run.js";
import type { Figure } from "./figure.js";
import { LATENCY_MS, type Step } from "./fleet-step.js";

export const WINDOW_S = 60;

/** One step in its own process (fleet-step.ts): `one` message/s per board, or the `board`'s own intervals. */
function fleetStep(devices: number, kind: "one" | "board", windowS: number, progress: (line: string) => void): Promise<Step> {
  const program = fileURLToPath(new URL("./fleet-step.js", import.meta.url));
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [program, String(devices), String(windowS), kind], { maxBuffer: 1 << 20 }, (error, stdout) => {
      try {
        resolve(JSON.parse(stdout.trim().split("\n").pop()!) as Step);
      } catch {
        resolve({ devices, held: false, why: `the step's process failed: ${error?.message.split("\n")[0] ?? "no result"}` });
      }
    });
    child.stderr!.on("data", (chunk: Buffer) => progress(chunk.toString().trimEnd()));
  });
}

/** The search over device counts, and the fleet's figures. */
export async function fleetFigures(progress: (line: string) => void, windowS = WINDOW_S): Promise<Figure[]> {
  let most = 0;
  while (beyondLimits(most + 1000, most + 1000, false) === undefined && most < 100_000) most += 1000; // what this process may open
  const steps: Step[] = [];
  const tryStep = async (n: number) => {
    progress(`fleet: ${n.toLocaleString("en-US")} boards at 1 msg/s each for ${windowS} s ...`);
    const step = await fleetStep(n, "one", windowS, progress);
    progress(`fleet: ${n.toLocaleString("en-US")} boards ${step.held ? "held" : "did not hold"}: ${step.why}`);
    steps.push(step);
    return step.held;
  };
  let held = 0;
  let failed = 0;
  for (let n = 2000; ; n = Math.min(n * 2, most)) {
    if (await tryStep(n)) held = n;
    else {
      failed = n;
      break;
    }
    if (n === most) break;
  }
  while (failed > 0 && failed - held > Math.max(500, held * 0.1)) {
    const n = Math.round((held + failed) / 2 / 100) * 100;
    if (await tryStep(n)) held = n;
    else failed = n;
  }
  const best = steps.find((s) => s.devices === held && s.held);
  const next = steps.find((s) => s.devices === failed);
  const r = best?.report;
  const conditions = `${windowS} s window, esp32_devkit boards (2 sensors every 2 s, no deadband, QoS 1), mosquitto on loopback`;
  const tail = failed === 0 ? `; stopped at ${most}: the process's file descriptors` : `; ${failed.toLocaleString("en-US")} did not hold: ${next?.why}`;
  return [
    ...(await boardIntervals(progress, windowS, Math.min(TEN_THOUSAND, most))),
    {
      name: `fleet: most boards holding 1 msg/s each with p99 latency < ${LATENCY_MS} ms (${conditions})`,
      ours: held,
      peer: null,
      peerName: null,
      unit: "devices",
      higherIsBetter: true,
      reference: r
        ? `at ${held.toLocaleString("en-US")}: latency p50 ${r.latency.p50} ms, p99 ${r.latency.p99}, max ${r.latency.max}; ${Math.round(r.receivedPerSecond).toLocaleString("en-US")} msg/s received; CPU ${r.cpu.cores.toFixed(2)} cores (${r.cpu.perDeviceUs.toFixed(0)} us/s per board) + mosquitto ${best!.brokerCores!.toFixed(2)}${tail}`
        : `no step held${tail}`,
    },
    {
      name: `fleet: memory per board at ${held.toLocaleString("en-US")} boards (RSS above the fleet's start, over the boards)`,
      ours: r ? r.memory.rssPerDevice / 1024 : NaN,
      peer: null,
      peerName: null,
      unit: "KB/device",
      higherIsBetter: false,
      reference: r ? `V8 heaps + ArrayBuffers of every thread: ${(r.memory.heapPerDevice / 1024).toFixed(1)} KB/board; RSS ${(r.memory.rss / 2 ** 20).toFixed(0)} MB in all` : "",
    },
  ];
}

const TEN_THOUSAND = 10_000;

/** 10,000 boards (or what the file descriptors allow) at esp32_devkit's own intervals and deadbands: the issue's fleet, measured. */
async function boardIntervals(progress: (line: string) => void, windowS: number, devices: number): Promise<Figure[]> {
  progress(`fleet: ${devices.toLocaleString("en-US")} boards at esp32_devkit's own intervals for ${windowS} s ...`);
  const step = await fleetStep(devices, "board", windowS, progress);
  progress(`fleet: ${devices.toLocaleString("en-US")} boards at their own intervals: ${step.why}`);
  const r = step.report;
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
  return [
    {
      name: `fleet: ${devices.toLocaleString("en-US")} boards at esp32_devkit's own intervals (sht3x every 10 s, bmp280 every 30 s, deadbands, QoS 1) for ${windowS} s: p99 latency`,
      ours: r && step.rampS !== undefined ? r.latency.p99 : NaN,
      peer: null,
      peerName: null,
      unit: "ms",
      higherIsBetter: false,
      ceiling: LATENCY_MS,
      reference: r
        ? `all connected in ${step.rampS?.toFixed(0)} s (connect p50 ${r.connect.p50} ms, p99 ${r.connect.p99}); ${Math.round(r.receivedPerSecond).toLocaleString("en-US")} msg/s received of ${Math.round(r.publishedPerSecond).toLocaleString("en-US")} published; latency p50 ${r.latency.p50} ms, max ${r.latency.max}; CPU ${r.cpu.cores.toFixed(2)} cores (${r.cpu.perDeviceUs.toFixed(1)} us/s per board) + mosquitto ${step.brokerCores?.toFixed(2)}; per board: RSS ${kb(r.memory.rssPerDevice)}, heaps + ArrayBuffers ${kb(r.memory.heapPerDevice)}${step.held ? "" : `; did not hold: ${step.why}`}`
        : `did not run: ${step.why}`,
    },
  ];
}
