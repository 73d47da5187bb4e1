/** What the fleet's coordinator (fleet.ts) and its worker threads (worker.ts) tell each other. */
import type { BrokerAddress } from "../../firmware/net/connection.js";
import type { Board } from "../boards.js";
import type { Shard } from "./plan.js";

/** A worker's workerData: its share of the fleet and how its boards connect. */
export interface WorkerSetup {
  /** The board object (a bench may pass one of its own, e.g. without deadbands). */
  board: Board;
  broker: BrokerAddress;
  username?: string;
  password?: string;
  protocolVersion: 4 | 5;
  /** Every sensor's interval, ms; absent: the board's own. */
  interval?: number;
  total: number;
  shard: Shard;
  workers: number;
  worker: number;
  /** Connects started per second over the shard. */
  rate: number;
}

/** Coordinator to worker: start booting (the fleet's start, Date.now() ms), send the counters now, or stop every board and send them. */
export type ToWorker = { type: "go"; startAt: number } | { type: "stats" } | { type: "stop" };

/** A worker's counters, cumulative since it started, and its memory now. */
export interface WorkerStats {
  type: "stats" | "stopped";
  worker: number;
  /** Boards made and started, of `assigned`. */
  booted: number;
  assigned: number;
  /** Boards whose client is connected now. */
  connected: number;
  /** Boards connected at least once, and every CONNACK accepted (reconnects too). */
  firstConnects: number;
  connects: number;
  disconnects: number;
  /** The last disconnect in words ("" if none). */
  lastDisconnect: string;
  /** Telemetry samples handed to the clients (packet id >= 0), and refused by them (a ClientError). */
  published: number;
  refused: number;
  /** Sums of the clients' stats. */
  sent: number;
  acked: number;
  dropped: number;
  /** First-connect times (ms from start() to CONNACK) since the previous stats. */
  connectTimes: number[];
  /** This worker's V8 heap and ArrayBuffers (the boards' buffers), bytes. */
  heapUsed: number;
  arrayBuffers: number;
  /** Event-loop utilisation since the previous stats, 0 to 1. */
  busy: number;
}

/** Worker to coordinator. */
export type FromWorker = { type: "ready"; worker: number } | WorkerStats;
