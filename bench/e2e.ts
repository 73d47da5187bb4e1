/**
 * End to end through a real mosquitto on loopback, at QoS 0, 1 and 2: our client (the simulator's: the
 * firmware over host-sim's device modules) and MQTT.js each publish the same `count` telemetry messages
 * from their own process (bench/e2e-publisher.ts), alternating, while an MQTT.js subscriber here counts
 * the arrivals. mosquitto_pub, fed the same messages as lines on stdin (-l), runs in the same rounds as the
 * reference for what this broker allows on this machine.
 *
 * Figures per QoS, each the median of the rounds:
 * - messages/s: count / (the "go" sent to the publisher -> the last message at the subscriber). The
 *   connection is made before "go" and is not counted.
 * - client CPU per message: the publishing process's process.cpuUsage() (user + system) from "go" to its
 *   last message finished (QoS 0 handed to the socket, QoS 1/2 acknowledged), over count.
 *
 * The subscriber subscribes at QoS 0, so the broker delivers every message at QoS 0 whatever the publish
 * QoS: the delivery leg costs the same in every run and the counting subscriber (MQTT.js, in this
 * process) stays cheap, so the figures are about the publishing leg. Nothing is lost on the way: the
 * broker queues without limit (bench/e2e-broker.ts), and a run that does not see every message fails.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { appendFileSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import mqtt from "mqtt";
import { BenchBroker, findMosquitto, findMosquittoPub } from "./e2e-broker.js";
import { WsBenchBroker } from "./e2e-ws-broker.js";
import type { PublisherReport } from "./e2e-publisher.js";
import type { Figure } from "./figure.js";
import { PAYLOAD, TOPIC } from "./telemetry-packet.js";

export interface E2eOptions {
  rounds: number;
  count: number;
  qosLevels?: (0 | 1 | 2)[];
  /** MQTT.js's window of unfinished publishes (see e2e-publisher.ts). */
  mqttjsWindow?: number;
  /** Both publishers' transport: tcp (mosquitto's rows) or ws (aedes over `ws`: endToEndWs). Default tcp. */
  transport?: "tcp" | "ws";
}

/** The broker a run publishes to: its port (for the publisher) and its process (for its CPU, from /proc). */
interface Broker {
  readonly port: number;
  readonly pid: number | undefined;
}

interface RunResult {
  rate: number;
  cpuPerMessageUs: number;
  publisherMs: number;
  /** Diagnostics, not figures: the broker's and this process's (the subscriber's) CPU over the run, % of one core. */
  brokerLoad: number;
  subscriberLoad: number;
  /** The broker's CPU per message over the run, microseconds. */
  brokerUs: number;
  /** The publisher's system (kernel) share of its CPU, %. */
  systemShare: number;
}

/** CPU of the broker and of this process (the subscriber) from now until the returned function is called. */
function loads(broker: Broker, count: number): () => { brokerLoad: number; subscriberLoad: number; brokerUs: number } {
  const wall0 = performance.now();
  const broker0 = procCpuUs(broker.pid!);
  const self0 = process.cpuUsage();
  return () => {
    const wallUs = (performance.now() - wall0) * 1000;
    const self = process.cpuUsage(self0);
    const brokerCpu = procCpuUs(broker.pid!) - broker0;
    return { brokerLoad: (100 * brokerCpu) / wallUs, subscriberLoad: (100 * (self.user + self.system)) / wallUs, brokerUs: brokerCpu / count };
  };
}

const here = fileURLToPath(new URL(".", import.meta.url));
const publisherScript = join(here, "e2e-publisher.js");
/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ: 100 on Linux). */
const USER_HZ = 100;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** user + system CPU time of a live process, microseconds (10 ms resolution). */
function procCpuUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) / USER_HZ) * 1e6; // utime, stime: fields 14 and 15
}

/** The counting subscriber: an MQTT.js client in this process. */
class Counter {
  private target = 0;
  private seen = 0;
  private resolve: ((at: number) => void) | null = null;
  private constructor(private readonly client: mqtt.MqttClient) {
    client.on("message", () => {
      this.seen++;
      if (this.seen === this.target && this.resolve) this.resolve(performance.now());
    });
  }

  static async start(url: string): Promise<Counter> {
    const client = await mqtt.connectAsync(url, { clientId: `bench-counter-${process.pid}`, reconnectPeriod: 0, keepalive: 60 });
    await client.subscribeAsync(TOPIC, { qos: 0 });
    return new Counter(client);
  }

  /** Resolves with the time the count-th message from now arrives; rejects after timeoutMs. */
  expect(count: number, timeoutMs: number): Promise<number> {
    this.seen = 0;
    this.target = count;
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.resolve = null;
        reject(new Error(`the subscriber saw ${this.seen} of ${count} messages after ${timeoutMs} ms`));
      }, timeoutMs);
      this.resolve = (at) => {
        clearTimeout(timer);
        this.resolve = null;
        resolve(at);
      };
    });
  }

  /** Waits until no message has arrived for quietMs (stragglers of a failed run). */
  async quiet(quietMs: number): Promise<void> {
    for (let last = -1; last !== this.seen; ) {
      last = this.seen;
      await new Promise((r) => setTimeout(r, quietMs));
    }
  }

  close(): Promise<void> {
    return this.client.endAsync(true);
  }
}

function message(child: ChildProcess, type: string, timeoutMs: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`no "${type}" from the publisher in ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (m: Record<string, unknown>) => m.type === type && done(null, m);
    const onExit = (code: number | null) => done(new Error(`the publisher exited (${code}) before "${type}"`));
    function done(error: Error | null, m?: Record<string, unknown>) {
      clearTimeout(timer);
      child.off("message", onMessage);
      child.off("exit", onExit);
      if (error) reject(error);
      else resolve(m!);
    }
    child.on("message", onMessage);
    child.on("exit", onExit);
  });
}

/**
 * One publisher run. A publisher that dies before it is ready is started again (twice at most): the
 * working tree is shared, and another build (scripts/build.mjs empties build/firmware first) can remove
 * the modules it loads for a moment.
 */
async function runPublisher(broker: Broker, counter: Counter, client: "ours" | "mqttjs", qos: number, options: E2eOptions): Promise<RunResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await runPublisherOnce(broker, counter, client, qos, options);
    } catch (error) {
      if (!(error instanceof NotReady) || attempt === 3) throw error;
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}

class NotReady extends Error {}

async function runPublisherOnce(broker: Broker, counter: Counter, client: "ours" | "mqttjs", qos: number, options: E2eOptions): Promise<RunResult> {
  const args = [publisherScript, "--client", client, "--qos", String(qos), "--port", String(broker.port), "--count", String(options.count)];
  if (client === "mqttjs") args.push("--window", String(options.mqttjsWindow ?? 64));
  const ws = options.transport === "ws";
  if (ws) args.push("--transport", "ws");
  // BENCH_PROFILE_DIR=dir: each publisher writes a V8 CPU profile there (node --cpu-prof); its report (in
  // the progress line's JSON file beside it) gives the go/done window to read it in.
  const profile = process.env.BENCH_PROFILE_DIR;
  const profileDir = profile ? join(profile, `${client}${ws ? "-ws" : ""}-qos${qos}`) : "";
  if (profile) mkdirSync(profileDir, { recursive: true });
  const flags = profile ? ["--cpu-prof", "--cpu-prof-dir", profileDir, "--cpu-prof-interval", "100"] : [];
  const child = spawn(process.execPath, [...flags, ...args], { stdio: ["ignore", "inherit", "pipe", "ipc"] });
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  try {
    await message(child, "ready", 20_000);
  } catch (error) {
    child.kill("SIGKILL");
    throw new NotReady(`${client} at QoS ${qos}: ${(error as Error).message}${stderr ? "\n" + stderr : ""}`);
  }
  try {
    const arrived = counter.expect(options.count, 120_000);
    const load = loads(broker, options.count);
    const start = performance.now();
    child.send({ type: "go" });
    const [report, last] = await Promise.all([message(child, "done", 120_000) as Promise<unknown> as Promise<PublisherReport>, arrived]);
    const loaded = load();
    child.send({ type: "exit" });
    await once(child, "exit");
    if (profile) appendFileSync(join(profileDir, "reports.jsonl"), JSON.stringify({ ...report, pid: child.pid }) + "\n");
    return {
      rate: options.count / ((last - start) / 1000), cpuPerMessageUs: report.cpuUs / options.count, publisherMs: report.elapsedMs,
      systemShare: (100 * report.systemUs) / report.cpuUs, ...loaded,
    };
  } catch (error) {
    child.kill("SIGKILL");
    await counter.quiet(200);
    throw new Error(`${client} at QoS ${qos}: ${(error as Error).message}${stderr ? "\n" + stderr : ""}`);
  }
}

/** mosquitto_pub -l, its stdin fed the messages once it has had time to connect. */
async function runMosquittoPub(binary: string, broker: BenchBroker, counter: Counter, qos: number, count: number): Promise<RunResult> {
  const child = spawn(binary, ["-h", "127.0.0.1", "-p", String(broker.port), "-t", TOPIC, "-q", String(qos), "-l", "-M", "64", "-i", `bench-mosquitto-pub-${process.pid}`], {
    stdio: ["pipe", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  const lines = Buffer.from((PAYLOAD + "\n").repeat(count));
  try {
    await new Promise((r) => setTimeout(r, 300)); // connected by then (a few ms on loopback)
    if (child.exitCode !== null) throw new Error(`exited (${child.exitCode})`);
    const arrived = counter.expect(count, 120_000);
    const cpu0 = procCpuUs(child.pid!);
    const load = loads(broker, count);
    const start = performance.now();
    child.stdin!.write(lines);
    const last = await arrived;
    const loaded = load();
    const cpu = procCpuUs(child.pid!) - cpu0;
    child.stdin!.end();
    await once(child, "exit");
    return { rate: count / ((last - start) / 1000), cpuPerMessageUs: cpu / count, publisherMs: last - start, systemShare: NaN, ...loaded };
  } catch (error) {
    child.kill("SIGKILL");
    await counter.quiet(200);
    throw new Error(`mosquitto_pub at QoS ${qos}: ${(error as Error).message}${stderr ? "\n" + stderr : ""}`);
  }
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

export async function endToEnd(options: E2eOptions, progress: (line: string) => void): Promise<Figure[]> {
  const qosLevels = options.qosLevels ?? [0, 1, 2];
  if (!findMosquitto()) {
    const message = "e2e: mosquitto is not installed: the end-to-end figures are SKIPPED (apt-get install -y mosquitto mosquitto-clients)";
    if (process.env.CI) throw new Error(message);
    progress("*** " + message + " ***");
    return [];
  }
  const mosquittoPub = findMosquittoPub();
  const broker = await BenchBroker.start();
  const counter = await Counter.start(broker.url);
  const figures: Figure[] = [];
  progress(
    `e2e: mosquitto on 127.0.0.1:${broker.port} (${BenchBroker.settings.join(", ")}); ${fmt(options.count)} messages per run, ` +
      `${options.rounds} rounds per QoS, ours and MQTT.js (window ${options.mqttjsWindow ?? 64}) alternating, mosquitto_pub -l as the reference`,
  );
  try {
    for (const qos of qosLevels) {
      const results: Record<"ours" | "mqttjs" | "mosquitto_pub", RunResult[]> = { ours: [], mqttjs: [], mosquitto_pub: [] };
      for (let round = 0; round < options.rounds; round++) {
        const order: ("ours" | "mqttjs")[] = round % 2 === 0 ? ["ours", "mqttjs"] : ["mqttjs", "ours"];
        for (const client of order) results[client].push(await runPublisher(broker, counter, client, qos, options));
        if (mosquittoPub) results.mosquitto_pub.push(await runMosquittoPub(mosquittoPub, broker, counter, qos, options.count));
        const last = (name: keyof typeof results) => {
          const r = results[name][round];
          return r
            ? `${name} ${fmt(r.rate)} msg/s ${r.cpuPerMessageUs.toFixed(2)} us/msg` +
              (Number.isNaN(r.systemShare) ? "" : ` (${r.systemShare.toFixed(0)}% sys)`) +
              ` [broker ${r.brokerUs.toFixed(1)} us/msg ${r.brokerLoad.toFixed(0)}%, subscriber ${r.subscriberLoad.toFixed(0)}%]`
            : `${name} n/a`;
        };
        progress(`e2e QoS ${qos}: round ${round + 1}/${options.rounds}: ${last("ours")}, ${last("mqttjs")}, ${last("mosquitto_pub")}`);
      }
      const m = (name: keyof typeof results, key: keyof RunResult) => (results[name].length ? median(results[name].map((r) => r[key])) : NaN);
      const pubRate = m("mosquitto_pub", "rate");
      const brokerUs = median([...results.ours, ...results.mqttjs, ...results.mosquitto_pub].map((r) => r.brokerUs));
      // messages/s: the broker is the limit, so the target is mosquitto_pub's rate in the same rounds (within 5%), MQTT.js beside it.
      const rateReference =
        `MQTT.js, same rounds: ${fmt(m("mqttjs", "rate"))} msg/s (ours ${(m("ours", "rate") / m("mqttjs", "rate")).toFixed(2)}x)` +
        `; mosquitto's own CPU: ${brokerUs.toFixed(1)} us/message (one thread: at most ~${fmt(1e6 / brokerUs)} msg/s on a free core)`;
      const cpuReference = mosquittoPub ? `mosquitto_pub -l, same rounds: ${m("mosquitto_pub", "cpuPerMessageUs").toFixed(2)} us/message` : "mosquitto_pub not installed";
      figures.push(
        mosquittoPub
          ? {
              name: `e2e QoS ${qos} through mosquitto: messages/s`, ours: m("ours", "rate"), peer: pubRate, peerName: "mosquitto_pub, C",
              unit: "messages/s", higherIsBetter: true, target: 0.95, reference: rateReference,
            }
          : {
              name: `e2e QoS ${qos} through mosquitto: messages/s`, ours: m("ours", "rate"), peer: m("mqttjs", "rate"), peerName: "MQTT.js",
              unit: "messages/s", higherIsBetter: true, reference: "mosquitto_pub not installed: the target (within 5% of it) cannot be checked",
            },
        {
          name: `e2e QoS ${qos}: publishing client CPU per message`, ours: m("ours", "cpuPerMessageUs"), peer: m("mqttjs", "cpuPerMessageUs"), peerName: "MQTT.js",
          unit: "CPU us/message", higherIsBetter: false, target: 3, reference: cpuReference,
        },
      );
    }
  } finally {
    await counter.close();
    await broker.stop();
  }
  return figures;
}

/**
 * The WebSocket rows: the same publishers over ws:// (e2e-publisher.ts --transport ws: ours through
 * firmware/net/ws/ over host-sim's TCP, MQTT.js over its own ws stream) to aedes served by `ws` in its own
 * process (e2e-ws-broker.ts), an MQTT.js subscriber over ws here counting the arrivals; ours and MQTT.js
 * alternating in the same rounds, measured exactly as the rows through mosquitto (runPublisher). No C
 * client speaks ws here, so there is no third publisher; aedes's own CPU per message is the reference.
 */
export async function endToEndWs(options: E2eOptions, progress: (line: string) => void): Promise<Figure[]> {
  const qosLevels = options.qosLevels ?? [0, 1, 2];
  const ws: E2eOptions = { ...options, transport: "ws" };
  const broker = await WsBenchBroker.start();
  const counter = await Counter.start(broker.url);
  const figures: Figure[] = [];
  progress(
    `e2e ws: aedes over ws at ${broker.url}; ${fmt(options.count)} messages per run, ${options.rounds} rounds per QoS ` +
      `(${qosLevels.join(", ")}), ours and MQTT.js (window ${options.mqttjsWindow ?? 64}) alternating`,
  );
  try {
    for (const qos of qosLevels) {
      const results: Record<"ours" | "mqttjs", RunResult[]> = { ours: [], mqttjs: [] };
      for (let round = 0; round < options.rounds; round++) {
        const order: ("ours" | "mqttjs")[] = round % 2 === 0 ? ["ours", "mqttjs"] : ["mqttjs", "ours"];
        for (const client of order) results[client].push(await runPublisher(broker, counter, client, qos, ws));
        const last = (name: keyof typeof results) => {
          const r = results[name][round];
          return (
            `${name} ${fmt(r.rate)} msg/s ${r.cpuPerMessageUs.toFixed(2)} us/msg (${r.systemShare.toFixed(0)}% sys)` +
            ` [aedes ${r.brokerUs.toFixed(1)} us/msg ${r.brokerLoad.toFixed(0)}%, subscriber ${r.subscriberLoad.toFixed(0)}%]`
          );
        };
        progress(`e2e ws QoS ${qos}: round ${round + 1}/${options.rounds}: ${last("ours")}, ${last("mqttjs")}`);
      }
      const m = (name: keyof typeof results, key: keyof RunResult) => median(results[name].map((r) => r[key]));
      const brokerUs = median([...results.ours, ...results.mqttjs].map((r) => r.brokerUs));
      const brokerLoad = median([...results.ours, ...results.mqttjs].map((r) => r.brokerLoad));
      figures.push(
        {
          name: `e2e ws QoS ${qos} through aedes over WebSockets: messages/s`, ours: m("ours", "rate"), peer: m("mqttjs", "rate"), peerName: "MQTT.js over ws",
          unit: "messages/s", higherIsBetter: true,
          reference: `aedes's own CPU: ${brokerUs.toFixed(1)} us/message, ${brokerLoad.toFixed(0)}% of a core (one thread: at most ~${fmt(1e6 / brokerUs)} msg/s on a free core)`,
        },
        {
          name: `e2e ws QoS ${qos}: publishing client CPU per message`, ours: m("ours", "cpuPerMessageUs"), peer: m("mqttjs", "cpuPerMessageUs"), peerName: "MQTT.js over ws",
          unit: "CPU us/message", higherIsBetter: false,
          reference: `publisher's kernel share: ours ${m("ours", "systemShare").toFixed(0)}%, MQTT.js ${m("mqttjs", "systemShare").toFixed(0)}%`,
        },
      );
    }
  } finally {
    await counter.close();
    await broker.stop();
  }
  return figures;
}
