/**
 * Debian's mosquitto, spawned by the tests on a free loopback port with a generated config: a plain
 * listener, optionally a TLS listener (a CA and a leaf made by openssl here), a password file made by
 * mosquitto_passwd, and persistence so a restart keeps sessions. Absent mosquitto: the tests say so
 * loudly and skip, except under CI, where its absence is a failure.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { accepts, findMosquitto, freePort } from "../../host-sim/loopback.js";


/**
 * Whether the mosquitto suites run: true if mosquitto is here; false (with a loud warning) on a
 * developer's machine without it; throws under CI, where the suites must run.
 */
export function mosquittoAvailable(): boolean {
  if (findMosquitto() && existsSync("/usr/bin/mosquitto_passwd")) return true;
  const message = "mosquitto (and mosquitto_passwd) not found: the mosquitto integration tests are SKIPPED. Install it: apt-get install -y mosquitto mosquitto-clients";
  if (process.env.CI) throw new Error(message + " (CI=true: they must run)");
  console.warn("\n*** " + message + " ***\n");
  return false;
}

export interface Certificates {
  dir: string;
  caFile: string;
  /** The CA certificate, DER (as the device's TLS socket takes it). */
  ca: Uint8Array;
  certFile: string;
  keyFile: string;
  /** A second CA that did not sign the broker's certificate, DER. */
  otherCa: Uint8Array;
}

/** A CA and a leaf for 127.0.0.1 and localhost, made by openssl now. */
export function makeCertificates(dir: string): Certificates {
  const run = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=mqtt-xs test CA");
  run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "other.key", "-out", "other.crt", "-days", "2", "-subj", "/CN=some other CA");
  run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost");
  writeFileSync(join(dir, "san.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
  run("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.crt", "-days", "2", "-extfile", "san.ext");
  return {
    dir,
    caFile: join(dir, "ca.crt"),
    ca: derOf(join(dir, "ca.crt")),
    certFile: join(dir, "server.crt"),
    keyFile: join(dir, "server.key"),
    otherCa: derOf(join(dir, "other.crt")),
  };
}

function derOf(pemFile: string): Uint8Array {
  return new Uint8Array(execFileSync("openssl", ["x509", "-in", pemFile, "-outform", "DER"]));
}

export interface MosquittoOptions {
  /** Require these credentials (a password file); anonymous clients are refused. */
  users?: Record<string, string>;
  /** Add a TLS listener with these certificates. */
  tls?: Certificates;
  /** Mutual TLS on the TLS listener: require_certificate true (a client certificate signed by tls.caFile). */
  requireCertificate?: boolean;
  /** Log every packet and connection (log_type all) into `output`: for recording a failing run. */
  logAll?: boolean;
  /** More configuration lines (e.g. MQTT 5.0 limits: max_qos, retain_available, max_packet_size, max_keepalive). */
  extra?: string[];
}

export class Mosquitto {
  readonly dir: string;
  port = 0;
  tlsPort = 0;
  private child: ChildProcess | null = null;
  private log = "";

  private constructor(
    private readonly binary: string,
    private readonly options: MosquittoOptions,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), "mqtt-xs-mosquitto-"));
  }

  /** Writes the config and starts mosquitto; resolves when it accepts connections. */
  static async start(options: MosquittoOptions = {}): Promise<Mosquitto> {
    const binary = findMosquitto();
    if (!binary) throw new Error("mosquitto is not installed");
    const broker = new Mosquitto(binary, options);
    // freePort() releases the port before mosquitto binds it: in that window another test file running in
    // parallel (another mosquitto, a listen(0)) may take it. spawn() notices (mosquitto exits "Address already
    // in use" while someone else answers on the port); then new ports are tried.
    for (let attempt = 1; ; attempt++) {
      broker.port = await freePort();
      if (options.tls) broker.tlsPort = await freePort();
      broker.writeConfig();
      try {
        await broker.spawn();
        return broker;
      } catch (error) {
        if (attempt >= 5 || !/address already in use/i.test(broker.log)) throw error;
        broker.log = "";
      }
    }
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  private writeConfig(): void {
    const lines = [
      // Run as whoever runs the tests: as root, mosquitto would otherwise switch to the "mosquitto" user,
      // which cannot write its persistence file in our temporary directory.
      `user ${userInfo().username}`,
      "persistence true",
      `persistence_location ${this.dir}/`,
      "log_dest stderr",
      ...(this.options.logAll ? ["log_type all"] : ["log_type error", "log_type warning"]),
      "per_listener_settings false",
      "max_queued_messages 100000",
      "max_inflight_messages 20",
      `listener ${this.port} 127.0.0.1`,
      ...(this.options.extra ?? []), // after the listener: some (max_qos) are the listener's own
    ];
    if (this.options.users) {
      const file = join(this.dir, "passwd");
      writeFileSync(file, "");
      for (const [user, password] of Object.entries(this.options.users)) {
        execFileSync("mosquitto_passwd", ["-b", file, user, password], { stdio: "pipe" });
      }
      lines.push("allow_anonymous false", `password_file ${file}`);
    } else lines.push("allow_anonymous true");
    const tls = this.options.tls;
    if (tls) {
      lines.push(`listener ${this.tlsPort} 127.0.0.1`, `cafile ${tls.caFile}`, `certfile ${tls.certFile}`, `keyfile ${tls.keyFile}`);
      if (this.options.requireCertificate) lines.push("require_certificate true");
    }
    writeFileSync(join(this.dir, "mosquitto.conf"), lines.join("\n") + "\n");
  }

  private async spawn(): Promise<void> {
    const child = spawn(this.binary, ["-c", join(this.dir, "mosquitto.conf")], { stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    child.stdout!.on("data", (d) => (this.log += d));
    child.stderr!.on("data", (d) => (this.log += d));
    for (let i = 0; i < 100; i++) {
      if (child.exitCode !== null) throw new Error(`mosquitto exited (${child.exitCode}):\n${this.log}`);
      if (await accepts(this.port)) {
        // Accepting is not proof enough: if another process holds the port, mosquitto exits at once.
        await new Promise((r) => setTimeout(r, 150));
        if (child.exitCode !== null || this.child !== child) throw new Error(`mosquitto exited (${child.exitCode}) although port ${this.port} accepts (taken by another process):\n${this.log}`);
        return;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`mosquitto did not listen on ${this.port}:\n${this.log}`);
  }

  /** Stops mosquitto (SIGTERM: it saves its persistence file) and waits for it to exit. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null) return;
    child.kill("SIGTERM");
    await once(child, "exit");
  }

  /** Stops and starts it again on the same ports, with its sessions and queued messages kept. */
  async restart(downMs = 0): Promise<void> {
    await this.stop();
    if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
    await this.spawn();
  }

  /** Stops it and removes its directory. */
  async close(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  get output(): string {
    return this.log;
  }
}
