/**
 * The fleet's coordinator, on the main thread: starts one worker thread per core (or as asked), each
 * booting its share of the shard (plan.ts, worker.ts); connects the measuring subscriber (subscriber.ts)
 * before any board starts; gives the workers one start time so that their connects interleave at the
 * shard's rate; and takes snapshots (every counter, cumulative, with the process's CPU time and memory)
 * from which load.ts makes the reports of any window. The CLI (run.ts) and the bench (bench/fleet.ts) drive it.
 */
import { availableParallelism } from "node:os";
import { performance } from "node:perf_hooks";
import { Worker } from "node:worker_threads";
import { Histogram } from "./histogram.js";
import type { FromWorker, ToWorker, WorkerSetup, WorkerStats } from "./messages.js";
import { shardSize, workerCount } from "./plan.js";
import { FleetSubscriber } from "./subscriber.js";

/** A fleet's options: a worker's setup (messages.ts) with the worker count optional (absent: one per core) and no worker index. */
export interface FleetOptions extends Omit<WorkerSetup, "workers" | "worker"> {
  workers?: number;
}

/** Everything counted so far, at one moment. */
export interface Snapshot {
  /** Date.now(). */
  at: number;
  /** process.cpuUsage(): every thread of this process. */
  cpu: NodeJS.CpuUsage;
  rss: number;
  /** The heaps and ArrayBuffers of every thread (the boards' buffers are ArrayBuffers). */
  heapUsed: number;
  arrayBuffers: number;
  /** The shard's devices, and those booted, connected now, connected at least once. */
  size: number;
  booted: number;
  connected: number;
  firstConnects: number;
  connects: number;
  disconnects: number;
  lastDisconnect: string;
  published: number;
  refused: number;
  sent: number;
  acked: number;
  dropped: number;
  /** The subscriber's counts (subscriber.ts). */
  received: number;
  others: number;
  noTs: number;
  heard: number;
  subscriberConnected: boolean;
  latency: Histogram;
  connectTimes: Histogram;
  /** Each worker's event-loop utilisation since the previous snapshot, and this thread's (the subscriber's). */
  busy: number[];
  coordinatorBusy: number;
}

const sum = (list: WorkerStats[], key: "booted" | "connected" | "firstConnects" | "connects" | "disconnects" | "published" | "refused" | "sent" | "acked" | "dropped" | "heapUsed" | "arrayBuffers") =>
  list.reduce((n, s) => n + s[key], 0);

export class Fleet {
  readonly size: number;
  readonly workers: Worker[] = [];
  readonly subscriber: FleetSubscriber;
  /** The first snapshot after the workers were up and before any board started: the memory baseline. */
  baseline!: Snapshot;
  /** A worker's failure (a device callback threw, a module failed to load, it exited): the fleet cannot go on. Kept here until the owner sets onFailure. */
  failure: Error | null = null;
  onFailure: (error: Error) => void = (error) => (this.failure ??= error);
  private readonly connectTimes = new Histogram();
  /** Per worker: the answer awaited, and what ends the wait if the worker fails or exits first. */
  private readonly pending = new Map<number, { resolve: (stats: WorkerStats) => void; reject: (error: Error) => void }>();
  private readonly gone = new Set<number>();
  private stopping = false;
  private elu = performance.eventLoopUtilization();

  /** This thread's event-loop utilisation since the previous call. */
  private busy(): number {
    const now = performance.eventLoopUtilization();
    const busy = performance.eventLoopUtilization(now, this.elu).utilization;
    this.elu = now;
    return busy;
  }

  private constructor(readonly options: FleetOptions) {
    this.size = shardSize(options.total, options.shard);
    this.subscriber = new FleetSubscriber(options.broker, options);
  }

  /** Starts the workers and the subscriber, waits for both (up to `timeoutMs`), then lets the boards start. */
  static async start(options: FleetOptions, timeoutMs = 15_000): Promise<Fleet> {
    const fleet = new Fleet(options);
    const count = workerCount(options.workers, availableParallelism(), fleet.size);
    const ready: Promise<void>[] = [];
    for (let worker = 0; worker < count; worker++) {
      const { board, broker, username, password, protocolVersion, interval, total, shard, rate } = options;
      const setup: WorkerSetup = { board, broker, username, password, protocolVersion, interval, total, shard, workers: count, worker, rate };
      const thread = new Worker(new URL("./worker.js", import.meta.url), { workerData: setup });
      fleet.workers.push(thread);
      const name = `fleet worker ${worker + 1} of ${count}`;
      ready.push(new Promise<void>((resolve, reject) => {
        thread.on("message", (message: FromWorker) => {
          if (message.type === "ready") resolve();
          else fleet.pending.get(message.worker)?.resolve(message);
        });
        const lost = (error: Error) => {
          fleet.gone.add(worker);
          reject(error);
          fleet.pending.get(worker)?.reject(error);
          fleet.onFailure(error);
        };
        thread.on("error", (error) => lost(new Error(`${name} failed: ${error.message}`)));
        thread.on("exit", (code) => {
          if (!fleet.stopping && !fleet.gone.has(worker)) lost(new Error(`${name} exited (code ${code})`));
        });
      }));
    }
    fleet.subscriber.start();
    const deadline = Date.now() + timeoutMs;
    await Promise.all(ready);
    while (!fleet.subscriber.connected) {
      if (Date.now() > deadline) {
        await fleet.stop();
        throw new Error(`the fleet's subscriber did not connect to ${options.broker.host}:${options.broker.port} in ${timeoutMs / 1000} s`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    fleet.baseline = await fleet.snapshot();
    const startAt = Date.now();
    for (const thread of fleet.workers) thread.postMessage({ type: "go", startAt } satisfies ToWorker);
    return fleet;
  }

  private ask(type: "stats" | "stop"): Promise<WorkerStats[]> {
    return Promise.all(
      this.workers.map(
        (thread, worker) =>
          new Promise<WorkerStats>((resolve, reject) => {
            if (this.gone.has(worker)) return reject(this.failure ?? new Error(`fleet worker ${worker + 1} is gone`));
            const done = () => this.pending.delete(worker);
            this.pending.set(worker, { resolve: (stats) => (done(), resolve(stats)), reject: (error) => (done(), reject(error)) });
            thread.postMessage({ type } satisfies ToWorker);
          }),
      ),
    );
  }

  /** Every counter now: the workers' (asked for, so they are current) and the subscriber's, with CPU and memory. */
  async snapshot(): Promise<Snapshot> {
    return this.assemble(await this.ask("stats"));
  }

  private assemble(list: WorkerStats[]): Snapshot {
    for (const stats of list) for (const ms of stats.connectTimes) this.connectTimes.add(ms);
    const memory = process.memoryUsage();
    const s = this.subscriber;
    return {
      at: Date.now(),
      cpu: process.cpuUsage(),
      rss: memory.rss,
      heapUsed: memory.heapUsed + sum(list, "heapUsed"),
      arrayBuffers: memory.arrayBuffers + sum(list, "arrayBuffers"),
      size: this.size,
      booted: sum(list, "booted"),
      connected: sum(list, "connected"),
      firstConnects: sum(list, "firstConnects"),
      connects: sum(list, "connects"),
      disconnects: sum(list, "disconnects"),
      lastDisconnect: list.map((l) => l.lastDisconnect).filter(Boolean).pop() ?? "",
      published: sum(list, "published"),
      refused: sum(list, "refused"),
      sent: sum(list, "sent"),
      acked: sum(list, "acked"),
      dropped: sum(list, "dropped"),
      received: s.received,
      others: s.others,
      noTs: s.noTs,
      heard: s.heard,
      subscriberConnected: s.connected,
      latency: s.latency.copy(),
      connectTimes: this.connectTimes.copy(),
      busy: list.map((l) => l.busy),
      coordinatorBusy: this.busy(),
    };
  }

  /**
   * Stops every board (retained "offline", DISCONNECT), waits up to `drainMs` for the subscriber to receive
   * as many messages as the boards published, stops it; the last counts (null if the boards never started).
   */
  async stop(drainMs = 2000): Promise<Snapshot | null> {
    let last: Snapshot | null = null;
    this.stopping = true;
    if (this.workers.length > 0 && this.baseline !== undefined && this.gone.size === 0) {
      const list = await this.ask("stop");
      const published = sum(list, "published");
      const deadline = Date.now() + drainMs;
      while (this.subscriber.received < published && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      last = this.assemble(list);
    }
    await Promise.all(this.workers.map((thread) => thread.terminate()));
    this.subscriber.stop();
    return last;
  }
}
