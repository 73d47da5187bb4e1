/**
 * Debian's ejabberd (its mod_mqtt speaks MQTT 3.1.1 and 5.0), spawned by the tests as a plain Erlang
 * process, not the system service: `erl -noshell -s ejabberd` with a generated ejabberd.yml in a temporary
 * directory that also holds its Mnesia spool, its log and any crash dump. The node is not distributed (no
 * -sname), so no epmd and no Erlang distribution port; the one listener is mod_mqtt on a free loopback
 * port. Absent ejabberd: the tests say so loudly and skip, except under CI, where its absence is a failure.
 *
 * Credentials. ejabberd 23.01 takes an MQTT client's user name as a JID (a bare name gets the first host,
 * "localhost") and checks the password with the host's auth_method; an empty password is only for TLS
 * client certificates. So "anonymous" here is auth_method anonymous (login_anon): any user name with any
 * non-empty password is let in (EJABBERD_ANONYMOUS). With `users`, auth_method is internal and those users
 * are registered when the node has started; anyone else is refused.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findBinary, freePort } from "../../host-sim/loopback.js";

/** Credentials ejabberd's anonymous login takes (any user name, any non-empty password). */
export const EJABBERD_ANONYMOUS = { username: "anon", password: "x" } as const;

interface Installation {
  erl: string;
  /** The directory holding ejabberd-<version>/ebin (ERL_LIBS). */
  libs: string;
  version: string;
}

/** Debian's ejabberd: erl and the directory its applications are in (as /usr/sbin/ejabberdctl sets ERL_LIBS), or null. */
export function findEjabberd(): Installation | null {
  const erl = findBinary("erl", ["/usr/bin/erl", "/usr/local/bin/erl"]);
  if (!erl) return null;
  const candidates: string[] = [];
  for (const ctl of ["/usr/sbin/ejabberdctl", "/usr/local/sbin/ejabberdctl"]) {
    if (!existsSync(ctl)) continue;
    const match = /^ERL_LIBS=['"]?([^'"\n]+)['"]?/m.exec(readFileSync(ctl, "utf8"));
    if (match) candidates.push(match[1]!);
  }
  candidates.push("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib", "/usr/local/lib");
  for (const libs of candidates) {
    if (!existsSync(libs)) continue;
    for (const entry of readdirSync(libs)) {
      if (/^ejabberd-\d/.test(entry) && existsSync(join(libs, entry, "ebin", "ejabberd.beam"))) {
        return { erl, libs, version: entry.slice("ejabberd-".length) };
      }
    }
  }
  return null;
}

/**
 * Whether the ejabberd suites run: true if ejabberd is here; false (with a loud warning) on a developer's
 * machine without it; throws under CI, where the suites must run.
 */
export function ejabberdAvailable(): boolean {
  if (findEjabberd()) return true;
  const message = "ejabberd (and Erlang's erl) not found: the ejabberd integration tests are SKIPPED. Install it: apt-get install -y ejabberd";
  if (process.env.CI) throw new Error(message + " (CI=true: they must run)");
  console.warn("\n*** " + message + " ***\n");
  return false;
}

export interface EjabberdOptions {
  /** Internal auth with these users (registered at start); without it, anonymous login (EJABBERD_ANONYMOUS). */
  users?: Record<string, string>;
  /** mod_mqtt's options, e.g. { max_queue: 100, session_expiry: "5 minutes", max_topic_aliases: 0 }. */
  mqtt?: Record<string, string | number | boolean>;
  /** The listener's max_payload_size: bigger packets from a client close its connection. */
  maxPayloadSize?: number;
  /** loglevel debug: every MQTT packet ejabberd gets and sends is in `output` (for recording a failing run). */
  logAll?: boolean;
}

export class Ejabberd {
  readonly dir: string;
  port = 0;
  private child: ChildProcess | null = null;
  private log = "";
  /** Milliseconds the last start took, from spawn to the first accepted MQTT CONNECT. */
  startMs = 0;

  private constructor(
    private readonly installation: Installation,
    private readonly options: EjabberdOptions,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), "mqtt-xs-ejabberd-"));
  }

  /** Writes the config and starts ejabberd; resolves when it answers an MQTT CONNECT with CONNACK 0. */
  static async start(options: EjabberdOptions = {}): Promise<Ejabberd> {
    const installation = findEjabberd();
    if (!installation) throw new Error("ejabberd is not installed");
    const broker = new Ejabberd(installation, options);
    // freePort() releases the port before ejabberd binds it: another test file running in parallel may take
    // it in between. ejabberd then stops ("address already in use"); new ports are tried.
    for (let attempt = 1; ; attempt++) {
      broker.port = await freePort();
      broker.writeConfig();
      try {
        await broker.spawn();
        return broker;
      } catch (error) {
        await broker.stop();
        if (attempt >= 5 || !/address already in use|eaddrinuse/i.test(broker.log)) throw error;
        broker.log = "";
        rmSync(join(broker.dir, "spool"), { recursive: true, force: true });
      }
    }
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  get version(): string {
    return this.installation.version;
  }

  /** Credentials that ejabberd lets in: the first configured user, or anonymous ones. */
  get credentials(): { username: string; password: string } {
    const first = Object.entries(this.options.users ?? {})[0];
    return first ? { username: first[0], password: first[1] } : { ...EJABBERD_ANONYMOUS };
  }

  private writeConfig(): void {
    // A JSON string is a YAML double-quoted scalar.
    const scalar = (v: string | number | boolean) => (typeof v === "string" ? q(v) : String(v));
    const mqtt = Object.entries(this.options.mqtt ?? {});
    const lines = [
      "hosts:",
      "  - localhost",
      // info: a line per connection and session, and "Start accepting TCP connections at ..." (see spawn()).
      `loglevel: ${this.options.logAll ? "debug" : "info"}`,
      "hide_sensitive_log_data: false",
      ...(this.options.users ? ["auth_method: [internal]"] : ["auth_method: [anonymous]", "anonymous_protocol: login_anon"]),
      "listen:",
      "  -",
      `    port: ${this.port}`,
      `    ip: "127.0.0.1"`,
      "    module: mod_mqtt",
      ...(this.options.maxPayloadSize ? [`    max_payload_size: ${this.options.maxPayloadSize}`] : []),
      "modules:",
      ...(mqtt.length ? ["  mod_mqtt:", ...mqtt.map(([k, v]) => `    ${k}: ${scalar(v)}`)] : ["  mod_mqtt: {}"]),
    ];
    writeFileSync(join(this.dir, "ejabberd.yml"), lines.join("\n") + "\n");
  }

  private async spawn(): Promise<void> {
    const spool = join(this.dir, "spool");
    mkdirSync(spool, { recursive: true });
    const args = ["-noshell", "-noinput", "-env", "ERL_CRASH_DUMP_BYTES", "0", "-mnesia", "dir", q(spool), "-s", "ejabberd"];
    for (const [user, password] of Object.entries(this.options.users ?? {})) {
      // After -s ejabberd (application:ensure_all_started, synchronous): the internal auth is up.
      args.push("-eval", `ok = ejabberd_auth:try_register(${erlBinary(user)}, <<"localhost">>, ${erlBinary(password)}).`);
    }
    const started = Date.now();
    const child = spawn(this.installation.erl, args, {
      cwd: this.dir,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        HOME: this.dir,
        ERL_LIBS: this.installation.libs,
        EJABBERD_CONFIG_PATH: join(this.dir, "ejabberd.yml"),
        EJABBERD_LOG_PATH: join(this.dir, "ejabberd.log"),
        CONTRIB_MODULES_PATH: join(this.dir, "modules"),
        ERL_CRASH_DUMP: join(this.dir, "erl_crash.dump"),
      },
    });
    this.child = child;
    // If the test process ends without stop() (a worker torn down), the broker does not outlive it.
    const orphaned = () => child.kill("SIGKILL");
    process.once("exit", orphaned);
    child.once("exit", () => process.removeListener("exit", orphaned));
    child.stdout!.on("data", (d) => (this.log += d));
    child.stderr!.on("data", (d) => (this.log += d));
    const { username, password } = this.credentials;
    // Ours once it logs that its listener is up (not someone else's that took the port in the meantime, which
    // may be a broker that answers a CONNECT too: ejabberd then stops with "address already in use").
    const listening = `Start accepting TCP connections at 127.0.0.1:${this.port} for mod_mqtt`;
    // Erlang's boot and ejabberd's start take 1-2 s, 5 s on a loaded 2-core machine: 30 s is plenty.
    for (const deadline = started + 30_000; Date.now() < deadline; ) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`ejabberd exited (${child.exitCode ?? child.signalCode}):\n${this.log}`);
      if (this.log.includes(listening) && (await mqttConnects(this.port, username, password)) && this.child === child && child.exitCode === null) {
        this.startMs = Date.now() - started;
        return;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`ejabberd did not accept MQTT on ${this.port} within 30 s:\n${this.log}`);
  }

  /** Stops ejabberd (SIGTERM: the Erlang VM shuts its applications down) and waits for it to exit. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
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

function q(s: string): string {
  return JSON.stringify(s);
}

/** An Erlang binary of the string's UTF-8 bytes, safe whatever the characters. */
function erlBinary(s: string): string {
  return `<<${[...Buffer.from(s, "utf8")].join(",")}>>`;
}

/** A UTF-8 string with its 2-byte length (§1.5.4). */
function mqttString(s: string): Buffer {
  const bytes = Buffer.from(s, "utf8");
  const length = Buffer.alloc(2);
  length.writeUInt16BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/**
 * Whether ejabberd answers a 3.1.1 CONNECT (clean session, user name and password) on 127.0.0.1:port with
 * CONNACK 0 now; the probe then sends DISCONNECT and closes.
 */
function mqttConnects(port: number, username: string, password: string): Promise<boolean> {
  const body = Buffer.concat([
    mqttString("MQTT"),
    Buffer.from([4, 0xc2, 0, 10]), // level 4; user name, password, clean session; keep alive 10 s
    mqttString("ejabberd-probe-" + process.pid),
    mqttString(username),
    mqttString(password),
  ]);
  const length: number[] = [];
  for (let n = body.length; ; ) {
    length.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
    n >>= 7;
    if (n === 0) break;
  }
  const connectPacket = Buffer.concat([Buffer.from([0x10, ...length]), body]);
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let got = Buffer.alloc(0);
    let settled = false;
    const done = (ok: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (ok) socket.end(Buffer.from([0xe0, 0]));
      else socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 2000);
    socket.once("connect", () => socket.write(connectPacket));
    socket.on("data", (d) => {
      got = Buffer.concat([got, d]);
      if (got.length >= 4) done(got[0] === 0x20 && got[1] === 2 && got[3] === 0);
    });
    socket.once("error", () => done(false));
    socket.once("close", () => done(false));
  });
}
