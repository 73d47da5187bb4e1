/**
 * The broker of the WebSocket end-to-end figures: aedes served by `ws` (path /mqtt) on a free loopback
 * port, as test/integration/websocket.test.ts serves it, but in its own process (bench/aedes-ws.ts), as
 * mosquitto is for the other end-to-end rows: its CPU is read from /proc and stays out of the counting
 * subscriber's process. Debian's mosquitto has no websockets, so this is the broker both clients reach
 * over ws://. aedes keeps no limit on messages in flight to a subscriber and no persistence beyond memory;
 * `ws` turns Nagle off on its sockets (so do both clients).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const script = join(fileURLToPath(new URL(".", import.meta.url)), "aedes-ws.js");

export class WsBenchBroker {
  log = "";
  private constructor(
    readonly port: number,
    private readonly child: ChildProcess,
  ) {}

  /** What results.md says of the broker. */
  static readonly settings = ["aedes 1.x in its own Node process, served by ws 8.x at ws://127.0.0.1:<port>/mqtt, in memory"];

  static async start(): Promise<WsBenchBroker> {
    const child = spawn(process.execPath, [script], { stdio: ["ignore", "pipe", "pipe", "ipc"] });
    let log = "";
    child.stdout!.on("data", (d) => (log += d));
    child.stderr!.on("data", (d) => (log += d));
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`aedes over ws did not start in 20 s:\n${log}`)), 20_000);
      child.once("message", (m: { type: string; port: number }) => {
        clearTimeout(timer);
        if (m.type === "listening") resolve(m.port);
        else reject(new Error(`aedes over ws: ${JSON.stringify(m)}\n${log}`));
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`aedes over ws exited (${code}):\n${log}`));
      });
    });
    const broker = new WsBenchBroker(port, child);
    broker.log = log;
    child.stdout!.on("data", (d) => (broker.log += d));
    child.stderr!.on("data", (d) => (broker.log += d));
    return broker;
  }

  /** The URL MQTT.js connects to (the counting subscriber and the MQTT.js publisher). */
  get url(): string {
    return `ws://127.0.0.1:${this.port}/mqtt`;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill("SIGTERM");
      await once(this.child, "exit");
    }
  }
}
