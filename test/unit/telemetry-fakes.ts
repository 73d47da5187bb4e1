// Fakes for the telemetry unit tests: a virtual clock with the `timer` module's semantics (Moddable's
// modTimer, as host-sim/device/timer.ts documents them: a one-shot timer is dead once its callback
// returns, even if rescheduled inside it), a sensor whose readings the test sets, and a client connected
// by hand whose output the test reads.
import { MqttClient } from "../../firmware/mqtt/index.js";
import type { ClientOptions } from "../../firmware/mqtt/client/options.js";
import type { TimerModule } from "../../firmware/net/device.js";
import type { Sensor } from "../../firmware/telemetry/task.js";

interface FakeTimerRecord {
  callback: (timer: unknown) => void;
  due: number;
  repeat: number;
  scheduled: boolean;
}

export class FakeClock {
  now = 0;
  sets = 0;
  schedules = 0;
  clears = 0;
  /** The delays given to set/schedule, in order. */
  readonly delays: number[] = [];
  private readonly live = new Set<FakeTimerRecord>();

  readonly Timer: TimerModule = {
    set: (callback, interval = 0, repeat = 0) => {
      this.sets++;
      this.delays.push(interval);
      const record = { callback, due: this.now + interval, repeat, scheduled: true };
      this.live.add(record);
      return record;
    },
    schedule: (timer, interval, repeat = 0) => {
      const record = this.record(timer);
      this.schedules++;
      this.delays.push(interval);
      record.due = this.now + interval;
      record.repeat = repeat;
      record.scheduled = true;
    },
    clear: (timer) => {
      this.record(timer);
      this.clears++;
      this.live.delete(timer as FakeTimerRecord);
    },
  };

  readonly ticks = (): number => this.now;

  /** Timers alive (set and not cleared or expired). */
  get timers(): number {
    return this.live.size;
  }

  private record(timer: unknown): FakeTimerRecord {
    if (!this.live.has(timer as FakeTimerRecord)) throw new Error("the timer is dead (cleared, or a one-shot that fired)");
    return timer as FakeTimerRecord;
  }

  /** Moves the clock forward by `ms`, firing timers in due order as it passes them. */
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      let next: FakeTimerRecord | null = null;
      for (const r of this.live) if (r.scheduled && r.due <= end && (next === null || r.due < next.due)) next = r;
      if (next === null) break;
      this.now = Math.max(this.now, next.due);
      if (next.repeat > 0) next.due += next.repeat;
      const oneShot = next.repeat === 0;
      next.callback(next);
      if (oneShot && next.repeat === 0) this.live.delete(next); // dead, even if rescheduled without a repeat
    }
    this.now = end;
  }
}

/** A sensor that returns `values` (quantity -> property -> value) or throws `failure` when set. */
export class FakeSensor implements Sensor {
  values: Record<string, Record<string, number>> | undefined;
  failure: Error | null = null;
  reads = 0;
  constructor(values?: Record<string, Record<string, number>>) {
    this.values = values;
  }
  sample() {
    this.reads++;
    if (this.failure) throw this.failure;
    return this.values;
  }
}

/** A thermometer-and-hygrometer sample. */
export const sht = (temperature: number, humidity: number) => ({ thermometer: { temperature }, hygrometer: { humidity } });

/** A client connected by hand (CONNECT taken, CONNACK without a session given) at time 0. */
export function connectedClient(options: Partial<ClientOptions> = {}): MqttClient {
  const client = new MqttClient({ clientId: "unit", ...options });
  client.start(0);
  client.shouldOpen(0);
  client.opened(0);
  takeOutput(client);
  client.receive(Uint8Array.of(0x20, 2, 0, 0), 0, 4, 0);
  return client;
}

/** Takes everything the client has to write, as a socket would; returns the bytes. */
export function takeOutput(client: MqttClient): Uint8Array {
  const parts: number[] = [];
  for (let n = client.outputLength(); n > 0; n = client.outputLength()) {
    const at = client.outputOffset();
    parts.push(...client.outputBuffer().subarray(at, at + n));
    client.written(n, 0);
  }
  return Uint8Array.from(parts);
}

/** The PUBLISH packets in bytes a client wrote (MQTT 3.1.1): topic, payload text, QoS, retain, packet id. */
export function publishesIn(bytes: Uint8Array): { topic: string; payload: string; qos: number; retain: boolean; id: number }[] {
  const out: { topic: string; payload: string; qos: number; retain: boolean; id: number }[] = [];
  const text = new TextDecoder();
  for (let at = 0; at < bytes.length; ) {
    const type = bytes[at] >> 4;
    const qos = (bytes[at] >> 1) & 3;
    const retain = (bytes[at] & 1) === 1;
    let length = 0;
    let shift = 0;
    let p = at + 1;
    for (;;) {
      const b = bytes[p++];
      length |= (b & 0x7f) << shift;
      shift += 7;
      if ((b & 0x80) === 0) break;
    }
    const end = p + length;
    if (type === 3) {
      const topicLength = (bytes[p] << 8) | bytes[p + 1];
      const topic = text.decode(bytes.subarray(p + 2, p + 2 + topicLength));
      let q = p + 2 + topicLength;
      let id = 0;
      if (qos > 0) {
        id = (bytes[q] << 8) | bytes[q + 1];
        q += 2;
      }
      out.push({ topic, payload: text.decode(bytes.subarray(q, end)), qos, retain, id });
    }
    at = end;
  }
  return out;
}
