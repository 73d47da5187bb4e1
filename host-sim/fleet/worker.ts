/**
 * A fleet worker thread: boots its share of the fleet (plan.ts) with bootBoard, each board the firmware's
 * device app with its own client, buffers and simulated network, at the paced start times; counts what the
 * boards report; posts its counters and memory when asked, and on "stop" stops every board (retained
 * "offline", DISCONNECT) and posts them a last time.
 */
import { performance } from "node:perf_hooks";
import { parentPort, workerData } from "node:worker_threads";
import type { Device } from "../../firmware/app.js";
import { disconnectMessage } from "../../firmware/mqtt/index.js";
import { describeCause } from "../../firmware/net/causes.js";
import { bootBoard } from "../boot.js";
import type { ToWorker, WorkerSetup, WorkerStats } from "./messages.js";
import { assigned, deviceId } from "./plan.js";

/** At most this many of a worker's boards started and not yet connected once. */
export const MAX_CONNECTING = 64;

const setup = workerData as WorkerSetup;
const port = parentPort!;
const plan = assigned(setup.total, setup.shard, setup.workers, setup.worker, setup.rate);
const devices: Device[] = [];
/** Per board: connected now (1) or not (0); whether it ever connected; when start() was called (performance.now()). */
const connectedNow = new Uint8Array(plan.length);
const everConnected = new Uint8Array(plan.length);
const startedAt = new Float64Array(plan.length);
const counts = { connected: 0, firstConnects: 0, connects: 0, disconnects: 0, published: 0, refused: 0 };
let lastDisconnect = "";
let stopping = false;
let connectTimes: number[] = [];
let elu = performance.eventLoopUtilization();

function boot(m: number): void {
  const id = deviceId(setup.board.name, plan[m].k);
  const { device } = bootBoard({
    board: setup.board,
    broker: setup.broker,
    deviceId: id,
    username: setup.username,
    password: setup.password,
    protocolVersion: setup.protocolVersion,
    interval: setup.interval,
    seed: plan[m].k + 1,
    start: false,
    events: {
      onConnected: () => {
        counts.connects++;
        if (connectedNow[m] === 0) {
          connectedNow[m] = 1;
          counts.connected++;
        }
        if (everConnected[m] === 0) {
          everConnected[m] = 1;
          counts.firstConnects++;
          connectTimes.push(performance.now() - startedAt[m]);
        }
      },
      onDisconnected: (reason, cause) => {
        if (stopping) return; // the DISCONNECT of stop(): not a disconnect to report
        counts.disconnects++;
        if (connectedNow[m] === 1) {
          connectedNow[m] = 0;
          counts.connected--;
        }
        lastDisconnect = `${id}: ${cause !== 0 ? describeCause(cause, device.connection) : disconnectMessage(reason)}`;
      },
      onPublished: (_sensor, packetId) => {
        if (packetId >= 0) counts.published++;
        else counts.refused++;
      },
    },
  });
  devices.push(device);
  startedAt[m] = performance.now();
  device.start();
}

function stats(type: WorkerStats["type"]): WorkerStats {
  let sent = 0;
  let acked = 0;
  let dropped = 0;
  for (const device of devices) {
    const s = device.client.stats;
    sent += s.sent;
    acked += s.acked;
    dropped += s.dropped;
  }
  const memory = process.memoryUsage(); // heapUsed and arrayBuffers: this thread's isolate
  const now = performance.eventLoopUtilization();
  const busy = performance.eventLoopUtilization(now, elu).utilization;
  elu = now;
  const times = connectTimes;
  connectTimes = [];
  return {
    type,
    worker: setup.worker,
    booted: devices.length,
    assigned: plan.length,
    ...counts,
    lastDisconnect,
    sent,
    acked,
    dropped,
    connectTimes: times,
    heapUsed: memory.heapUsed,
    arrayBuffers: memory.arrayBuffers,
    busy,
  };
}

let pacing: NodeJS.Timeout | undefined;

port.on("message", (message: ToWorker) => {
  if (message.type === "go") {
    // Every board whose start time has come, on a 10 ms tick, while fewer than MAX_CONNECTING of this
    // worker's boards wait for their first CONNACK: a worker that cannot keep the pace (its CPU, the
    // broker's) starts boards as fast as they connect, so a connect time is the connect's, not a queue's.
    const pace = () => {
      const due = Date.now() - message.startAt;
      while (devices.length < plan.length && plan[devices.length].startMs <= due && devices.length - counts.firstConnects < MAX_CONNECTING) boot(devices.length);
      if (devices.length === plan.length) clearInterval(pacing);
    };
    pacing = setInterval(pace, 10);
    pace();
  } else if (message.type === "stats") {
    port.postMessage(stats("stats"));
  } else if (message.type === "stop") {
    stopping = true;
    clearInterval(pacing);
    for (const device of devices) device.stop();
    // The "offline" and DISCONNECT are in the sockets; a moment for Node to write them, then the last count.
    setTimeout(() => {
      port.postMessage(stats("stopped"));
      process.exit(0); // in a worker: ends this thread only
    }, 300);
  }
});
port.postMessage({ type: "ready", worker: setup.worker });
