// The fleet mode (host-sim/fleet/): who runs which device (shards disjoint and complete, workers, paced
// starts), the percentiles, and the built CLI (build/host-sim/cli.js) against Debian's mosquitto: 200 boards
// on 2 workers all connect, the load reports carry their fields and the telemetry the boards handed their
// clients is what our subscriber and an independent one (MQTT.js) received; two processes --shard 1/2 and
// 2/2 run disjoint device ids that together are the whole fleet, counted by MQTT.js on devices/+/status;
// a fleet beyond the process's file descriptors is refused in one line. Skips loudly without mosquitto
// (fails under CI=true).
import { spawn, spawnSync } from "node:child_process";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Histogram, LIMIT_MS } from "../../host-sim/fleet/histogram.js";
import { assigned, deviceId, deviceNumber, inShard, shardSize, workerCount } from "../../host-sim/fleet/plan.js";
import { Mosquitto, mosquittoAvailable } from "../integration/mosquitto.js";

const available = mosquittoAvailable();
const CLI = "build/host-sim/cli.js";

type Line = Record<string, any> & { time: number; kind: string };

/** Runs the CLI to its end; resolves with its exit status and its JSON lines. */
function run(args: string[]): Promise<{ status: number | null; lines: Line[]; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args, "--json"], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill("SIGKILL"), 45_000);
  return new Promise((resolve) =>
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, lines: stdout.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Line), stderr });
    }),
  );
}

describe("the fleet's plan: shards, workers, paced starts", () => {
  it("shard I of N holds the numbers k with k mod N = I - 1: disjoint, and together every number of the fleet", () => {
    for (const [total, count] of [[10, 1], [10, 3], [7, 7], [10_000, 2], [101, 4]]) {
      const owners = new Array<number>(total).fill(0);
      let sizes = 0;
      for (let index = 1; index <= count; index++) {
        const shard = { index, count };
        sizes += shardSize(total, shard);
        const workers = workerCount(3, 2, shardSize(total, shard));
        for (let worker = 0; worker < workers; worker++) {
          for (const { k } of assigned(total, shard, workers, worker, 100)) {
            expect(inShard(k, shard)).toBe(true);
            owners[k]++;
          }
        }
      }
      expect(sizes).toBe(total);
      expect(owners.every((n) => n === 1)).toBe(true); // each number run once, by one shard's one worker
    }
  });

  it("a shard's j-th device starts at j / rate s, whichever worker runs it; never more workers than devices", () => {
    const shard = { index: 2, count: 2 };
    const starts = [0, 1, 2].flatMap((worker) => assigned(20, shard, 3, worker, 50).map((a) => a.startMs)).sort((a, b) => a - b);
    expect(starts).toEqual(Array.from({ length: 10 }, (_, j) => j * 20));
    expect(assigned(20, shard, 3, 0, 50).map((a) => a.k)).toEqual([1, 7, 13, 19]);
    expect(workerCount(undefined, 2, 1)).toBe(1);
    expect(workerCount(undefined, 2, 500)).toBe(2);
    expect(workerCount(8, 2, 500)).toBe(8);
  });

  it("device ids are the single-thread simulator's, and their numbers come back from them", () => {
    expect(deviceId("esp32_devkit", 0)).toBe("esp32-devkit-a1b2c3");
    expect(deviceNumber(deviceId("pico_w", 9_999))).toBe(9_999);
    expect(deviceNumber("subscriber")).toBe(-1);
  });

  it("percentiles by nearest rank over 1 ms buckets; a window is the difference of two copies", () => {
    const h = new Histogram();
    for (let ms = 1; ms <= 100; ms++) h.add(ms + 0.5);
    expect(h.percentiles()).toEqual({ count: 100, p50: 50, p90: 90, p99: 99, max: 100 });
    const before = h.copy();
    h.add(-3);
    h.add(LIMIT_MS * 2);
    expect(h.since(before).percentiles()).toEqual({ count: 2, p50: 0, p90: LIMIT_MS, p99: LIMIT_MS, max: LIMIT_MS });
    expect(new Histogram().percentiles().p99).toBeNaN();
  });
});

describe("the fleet against mosquitto", () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    if (available) broker = await Mosquitto.start({ extra: ["max_connections -1"] });
  });
  afterAll(async () => broker?.close());

  it.runIf(available)("200 boards on 2 workers: all connect, a load report every 5 s with its fields, what the boards published is what was received", async () => {
    const watcher = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    let independent = 0;
    watcher.on("message", () => independent++);
    await watcher.subscribeAsync("devices/+/telemetry/#", { qos: 1 });
    const r = await run(["--devices", "200", "--workers", "2", "--connect-rate", "400", "--board", "pico_w", "--interval", "1000", "--broker", broker.url, "--duration", "12"]);
    await new Promise((resolve) => setTimeout(resolve, 300)); // the last messages to the watcher
    await watcher.endAsync();
    expect(r.status, r.stderr).toBe(0);
    expect(r.lines[0]).toMatchObject({ kind: "start", mode: "fleet", devices: 200, workers: 2, connectRate: 400, shard: { index: 1, count: 1, devices: 200 } });
    const loads = r.lines.filter((l) => l.kind === "load");
    const periods = loads.filter((l) => l.window === "period");
    expect(periods.length).toBeGreaterThanOrEqual(2);
    expect(periods[0].time).toBeGreaterThanOrEqual(5);
    const whole = loads.find((l) => l.window === "run")!;
    const steady = loads.find((l) => l.window === "steady")!;
    for (const l of [...periods, whole, steady]) {
      expect(Object.keys(l)).toEqual(expect.arrayContaining(["devices", "connect", "publishedPerSecond", "receivedPerSecond", "latency", "cpu", "memory", "busy"]));
    }
    expect(whole.devices).toEqual({ size: 200, booted: 200, connected: 200, heard: 200 });
    expect(whole.connect.count).toBe(200);
    expect(whole.connect.p50).toBeLessThanOrEqual(whole.connect.p99);
    expect(whole.disconnects).toBe(0);
    // One sensor (pico_w) sampled every second by 200 boards: at most 200 messages/s; the deadband holds back
    // some samples, not most.
    expect(steady.publishedPerSecond).toBeLessThanOrEqual(200 * 1.05);
    expect(steady.publishedPerSecond).toBeGreaterThan(200 * 0.5);
    // Every message the boards handed their clients reached our subscriber, and the independent one.
    const totals = r.lines.find((l) => l.kind === "totals")!;
    expect(totals.published).toBeGreaterThanOrEqual(whole.published);
    expect(totals.received).toBe(totals.published);
    expect(independent).toBe(totals.published);
    expect(totals).toMatchObject({ refused: 0, dropped: 0, disconnects: 0 });
    expect(steady.latency.count).toBeGreaterThan(0);
    expect(steady.latency.p50).toBeLessThanOrEqual(steady.latency.p99);
    expect(steady.latency.p99).toBeLessThanOrEqual(steady.latency.max);
    expect(whole.cpu.cores).toBeGreaterThan(0);
    expect(whole.memory.rss).toBeGreaterThan(0);
    expect(whole.memory.heapPerDevice).toBeGreaterThan(10_000); // a board's buffers alone are over 10 KB
  });

  it.runIf(available)("--shard 1/2 and --shard 2/2 in two processes: disjoint device ids that together are the whole fleet", async () => {
    const watcher = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    const online = new Set<string>();
    watcher.on("message", (topic, payload) => {
      if (payload.toString() === "online") online.add(topic.split("/")[1]);
    });
    await watcher.subscribeAsync("devices/+/status", { qos: 1 });
    const common = ["--devices", "61", "--board", "pico_w", "--broker", broker.url, "--duration", "4"];
    const first = await run([...common, "--shard", "1/2"]);
    const shard1 = new Set(online);
    online.clear();
    const second = await run([...common, "--shard", "2/2"]);
    await watcher.endAsync();
    expect(first.status, first.stderr).toBe(0);
    expect(second.status, second.stderr).toBe(0);
    expect(first.lines[0]).toMatchObject({ mode: "fleet", devices: 61, shard: { index: 1, count: 2, devices: 31 } });
    expect(second.lines[0]).toMatchObject({ mode: "fleet", devices: 61, shard: { index: 2, count: 2, devices: 30 } });
    const ids = (numbers: number[]) => new Set(numbers.map((k) => deviceId("pico_w", k)));
    const all = Array.from({ length: 61 }, (_, k) => k);
    expect(shard1).toEqual(ids(all.filter((k) => k % 2 === 0)));
    expect(online).toEqual(ids(all.filter((k) => k % 2 === 1)));
    expect(new Set([...shard1, ...online])).toEqual(ids(all));
    for (const r of [first, second]) expect(r.lines.find((l) => l.window === "run")).toMatchObject({ disconnects: 0 });
  });
});

describe("the fleet's limits", () => {
  it("more boards than the process may open sockets for: one line saying so and how to raise it, exit 2", () => {
    const r = spawnSync("sh", ["-c", `ulimit -n 512 && exec "${process.execPath}" ${CLI} --devices 2000 --broker mqtt://127.0.0.1:1`], { encoding: "utf8", timeout: 20_000 });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.trimEnd().split("\n")).toEqual([
      "npm start: 2000 devices in this process need about 2100 file descriptors, over its limit of 512 (ulimit -Hn): raise it (as root: ulimit -n 2100) or split the fleet into shards (--shard I/N), on this machine or others (npm start -- --help for the options)",
    ]);
  });
});
