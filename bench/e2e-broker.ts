/**
 * The broker of the end-to-end figures: Debian's mosquitto on a free loopback port, with a config made for
 * throughput rather than for the integration tests' faults (test/integration/mosquitto.ts keeps
 * max_inflight_messages 20 and persistence on, which suit those tests, not a bench): no limit on messages
 * in flight to a subscriber or queued for it (nothing is dropped on the way to the counting subscriber),
 * no persistence (no disk writes in the measured path), Nagle off on the broker's sockets (no 40 ms
 * delayed-ACK stalls in the QoS 1/2 handshakes: the clients set nodelay too).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { accepts, findBinary, findMosquitto, freePort } from "../host-sim/loopback.js";

export { findMosquitto };
export const findMosquittoPub = () => findBinary("mosquitto_pub", ["/usr/bin/mosquitto_pub", "/usr/local/bin/mosquitto_pub"]);

export class BenchBroker {
  log = "";
  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly child: ChildProcess,
  ) {}

  /** The lines of mosquitto.conf the figures are measured with (printed in results.md). */
  static readonly settings = [
    "persistence false",
    "max_inflight_messages 0", // 0: no limit (default 20)
    "max_queued_messages 0", // 0: no limit (default 1000)
    "max_queued_bytes 0",
    "set_tcp_nodelay true",
  ];

  static async start(): Promise<BenchBroker> {
    const binary = findMosquitto();
    if (!binary) throw new Error("mosquitto is not installed (apt-get install -y mosquitto mosquitto-clients)");
    const dir = mkdtempSync(join(tmpdir(), "mqtt-xs-bench-"));
    const port = await freePort();
    const config = [
      `user ${userInfo().username}`, // as root, mosquitto would otherwise switch to the "mosquitto" user
      "log_dest stderr",
      "log_type error",
      "log_type warning",
      ...BenchBroker.settings,
      "per_listener_settings false",
      "allow_anonymous true",
      `listener ${port} 127.0.0.1`,
    ];
    writeFileSync(join(dir, "mosquitto.conf"), config.join("\n") + "\n");
    const child = spawn(binary, ["-c", join(dir, "mosquitto.conf")], { stdio: ["ignore", "pipe", "pipe"] });
    const broker = new BenchBroker(port, dir, child);
    child.stdout!.on("data", (d) => (broker.log += d));
    child.stderr!.on("data", (d) => (broker.log += d));
    for (let i = 0; i < 100; i++) {
      if (child.exitCode !== null) throw new Error(`mosquitto exited (${child.exitCode}):\n${broker.log}`);
      if (await accepts(port)) return broker;
      await new Promise((r) => setTimeout(r, 50));
    }
    await broker.stop();
    throw new Error(`mosquitto did not listen on ${port}:\n${broker.log}`);
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** mosquitto's process id (for its CPU time, read from /proc). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill("SIGTERM");
      await once(this.child, "exit");
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
