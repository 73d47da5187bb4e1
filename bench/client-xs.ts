/**
 * Client cost on XS: computrons and heap bytes allocated per QoS 0 publish, QoS 1 round trip, inbound
 * dispatch and telemetry sample published; the RAM the client holds after construction, for the library's
 * defaults and for each board's default configuration (boards/*.json "client"). Beside them, Moddable's
 * own clients' published figures (../shared/XS-NOTES.md), labelled as such: not measured here.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { runXsModule } from "../test/xs/xs-run.js";
import type { Figure } from "./figure.js";

interface OpFigures {
  computrons: number;
  slots: number;
  chunkBytes: number;
}

/** A slot is 16 bytes on 32-bit devices (ESP32, Pico), 32 on this 64-bit host. */
const SLOT_BYTES = 16;
const ITERATIONS = 10_000;
/** Why the client RAM is over 100 slots, from bench/xs/parts.xs.ts's part-by-part figures. */
function ramCause(parts: Record<string, { slots: number }>): string {
  const named = Object.entries(parts).filter(([name]) => !name.startsWith("the whole") && !name.startsWith("unit:"));
  named.sort((a, b) => b[1].slots - a[1].slots);
  const unit = (name: string) => parts[`unit: ${name}`]?.slots;
  return (
    `each part constructed alone (bench/xs/parts.xs.ts): ${named.map(([name, v]) => `${name} ${v.slots}`).join(", ")}; ` +
    `a part is an object with a slot per field, and its arrays (a Uint8Array with its own ArrayBuffer ${unit("a Uint8Array with its own ArrayBuffer")} slots, ` +
    `a view of a shared one ${unit("a view of an ArrayBuffer")}), closures ${unit("a closure")} and bound methods ${unit("a bound method")}; ` +
    "under 100 needs every part's fields and arrays in a few typed arrays, which costs computrons wherever a field is read per packet"
  );
}
const PUBLISHED =
  "published, not measured here: Moddable's mqtt module ~900-1,040 heap bytes per publish, " +
  "embedded:network/mqtt/client ~1,200";

/** The repository root, from build/bench/ or bench/. */
function root(): string {
  const here = fileURLToPath(new URL(".", import.meta.url));
  return resolve(here, here.includes("/build/") ? "../.." : "..");
}

/** Writes build/bench/xs/boards.generated.js: each board's name and "client" options (XS reads no files). */
function writeBoards(): string[] {
  const dir = join(root(), "boards");
  const boards = readdirSync(dir)
    .filter((name) => name.endsWith(".json"))
    .sort()
    .map((name) => {
      const board = JSON.parse(readFileSync(join(dir, name), "utf8")) as { name?: string; client?: Record<string, unknown> };
      return { name: board.name ?? name.replace(/\.json$/, ""), client: board.client ?? {} };
    });
  writeFileSync(join(root(), "build/bench/xs/boards.generated.js"), `export default ${JSON.stringify(boards)};\n`);
  return boards.map((b) => `${b.name}: ${JSON.stringify(b.client)}`);
}

export async function clientXs(progress: (line: string) => void): Promise<Figure[]> {
  const boards = writeBoards();
  progress(`client (XS): running build/bench/xs/client.xs.js on xsprobe (boards: ${boards.join("; ")})`);
  const [memory, result] = await runXsModule("build/bench/xs/client.xs.js", { timeoutMs: 120_000 });
  if (!memory?.ok || !memory.data) throw new Error("the XS client memory bench failed: " + (memory?.error ?? "no result"));
  if (!result?.ok || !result.data) throw new Error("the XS client bench failed: " + (result?.error ?? "no result"));
  progress("client RAM by part (XS): running build/bench/xs/parts.xs.js on xsprobe");
  const [parts] = await runXsModule("build/bench/xs/parts.xs.js", { timeoutMs: 120_000 });
  if (!parts?.ok || !parts.data) throw new Error("the XS client RAM by part failed: " + (parts?.error ?? "no result"));
  const RAM_CAUSE = ramCause(parts.data as Record<string, { slots: number }>);
  progress(`client RAM by part (XS, slots): ${RAM_CAUSE}`);
  progress("telemetry (XS): running build/bench/xs/telemetry.xs.js on xsprobe");
  const [telemetry] = await runXsModule("build/bench/xs/telemetry.xs.js", { timeoutMs: 120_000 });
  if (!telemetry?.ok || !telemetry.data) throw new Error("the XS telemetry bench failed: " + (telemetry?.error ?? "no result"));
  progress("profile (XS): running build/bench/xs/profile.xs.js on xsprobe (each step of a publish alone)");
  const [profiled, profiledTelemetry] = await runXsModule("build/bench/xs/profile.xs.js", { timeoutMs: 120_000 });
  if (!profiled?.ok || !profiled.data) throw new Error("the XS profile failed: " + (profiled?.error ?? "no result"));
  if (!profiledTelemetry?.ok || !profiledTelemetry.data) throw new Error("the XS telemetry profile failed: " + (profiledTelemetry?.error ?? "no result"));
  const pt = profiledTelemetry.data.telemetry as Record<string, number>;
  const p0 = profiled.data.qos0 as Record<string, number>;
  const p1 = profiled.data.qos1 as Record<string, number>;
  const QOS0_CAUSE =
    `measured step by step (bench/xs/profile.xs.ts): publish() ${p0.publish} (a QoS 0 PUBLISH with nothing queued or owed goes without an ` +
    `outbox record, encoded in place: the codec's encodePublish alone costs ${p0.encode}, most of it the 2 computrons per byte XS meters for ` +
    `copying the topic and payload), outputLength() ${p0.outputLength}, outputBuffer/Offset ${p0.bufferAndOffset}, written() ${p0.written}, ` +
    `and the empty outputLength() that ends the drain ${p0.emptyOutputLength}`;
  const pi = profiled.data.inbound as Record<string, number>;
  const QOS1_CAUSE =
    `measured step by step (bench/xs/profile.xs.ts): publish() ${p1.publish} (the general path: argument checks, the packet id ${p1.packetId} ` +
    `(a free id searched), encode, the outbox record's bookkeeping), outputLength() ${p1.outputLength} (pick() starting the run), written() ${p1.written} ` +
    `(the record Sent, waiting for its ack), the PUBACK in ${p1.pubackIn}: receive() copying it in and handing it on, then the router ${p1.pubackProcess} ` +
    `(frame, decode, route; of it outbound.complete() ${p1.pubackComplete}: the record found, freed, counted, onAcked)`;
  const INBOUND_CAUSE =
    `measured step by step (bench/xs/profile.xs.ts, a 26-byte topic, 48-byte payload): receive() ${pi.receive} (the copy in, then the router ${pi.process}: ` +
    `frame ${pi.frameRead}, decode ${pi.decode} (of it the topic name checked ${pi.topicName}, in words: UTF-8, no wildcard, no U+0000 [MQTT-3.3.2-2]; ${pi.topicNameInBytes} four bytes a step from indexed reads), ` +
    `inbound.publish() ${pi.inboundPublish} (of it the dispatch ${pi.dispatchMatch}, the match against devices/+/cmd/# alone ${pi.topicMatches}, in words), the rest routing), ` +
    `then the PUBACK: outputLength() ${pi.pubackOutputLength} (picked, encoded into the staging), written() ${pi.pubackWritten}, the empty outputLength() ${pi.emptyOutputLength}`;
  const TELEMETRY_CAUSE =
    `measured step by step (bench/xs/profile.xs.ts, "profile telemetry"): Telemetry.run() ${pt.run} (the sensor read ${pt.read}, of it the sensor's own ` +
    `sample() ${pt.sensorSample}; the report-by-exception decision ${pt.shouldPublish}; the JSON ${pt.write}, two or three digits a store; the buffer ` +
    `trimmed, the client's QoS 0 publish() and untrimmed ${pt.trimPublishUntrim}), then the drain ${pt.drain} (the client's output)`;
  progress("adapter (XS): running build/test/xs/suites/adapter.xs.js on xsprobe (MqttClient + MqttConnection over a socket of the SDK's semantics)");
  const adapter: Record<string, { computrons: number; slots: number; chunks: number }> = {};
  for (const c of await runXsModule("build/test/xs/suites/adapter.xs.js", { timeoutMs: 120_000 })) {
    if (!c.ok || !c.data) throw new Error(`the XS adapter suite failed: ${c.name}: ${c.error ?? "no result"}`);
    Object.assign(adapter, c.data);
  }

  const figure = (name: string, op: OpFigures, ceiling?: number, cause?: string): Figure[] => [
    { name: name + " (XS)", ours: op.computrons, peer: null, peerName: null, unit: "computrons/op", higherIsBetter: false, ceiling, cause },
    {
      // Peaks over the whole loop, so an allocation that a GC took back mid-loop still counts.
      name: name + ": heap allocated (XS)", ours: (op.slots * SLOT_BYTES + op.chunkBytes) / ITERATIONS, peer: null, peerName: null,
      unit: `bytes/op (slots x ${SLOT_BYTES} + chunk bytes, peak over ${ITERATIONS.toLocaleString("en-US")} ops)`, higherIsBetter: false, ceiling: 0,
      reference: PUBLISHED,
    },
  ];
  const ram = (name: string, key: string): Figure => {
    const held = memory.data![key] as { slots: number; chunkBytes: number } | undefined;
    if (!held) throw new Error(`the XS memory bench reported no ${key}`);
    return {
      name: `client RAM after construction, ${name} (XS): ${held.slots} slots + ${held.chunkBytes.toLocaleString("en-US")} chunk bytes`,
      ours: held.slots * SLOT_BYTES + held.chunkBytes, peer: null, peerName: null, unit: "bytes on a 32-bit device", higherIsBetter: false,
    };
  };
  const defaults = memory.data.defaults as { slots: number };
  const through = (name: string, key: string, what: string): Figure[] => {
    const op = adapter[key];
    if (!op) throw new Error(`the XS adapter suite reported no ${key}`);
    return [
      { name: `${name} through MqttConnection (XS)`, ours: op.computrons, peer: null, peerName: null, unit: "computrons/op", higherIsBetter: false, reference: what },
      {
        name: `${name} through MqttConnection: heap allocated (XS)`, ours: (op.slots * SLOT_BYTES + op.chunks) / ITERATIONS, peer: null, peerName: null,
        unit: `bytes/op (slots x ${SLOT_BYTES} + chunk bytes, peak over ${ITERATIONS.toLocaleString("en-US")} ops)`, higherIsBetter: false, ceiling: 0,
        reference: "Moddable SDK 8.2.3 lin, measured by hand with a native probe (0.1): its mqtt 952 B per QoS 0 publish, its ECMA-419 client 1,206 B",
      },
    ];
  };
  const boardKeys = Object.keys(memory.data).filter((key) => key.startsWith("board "));
  const payloadBytes = telemetry.data.payloadBytes as number;
  return [
    {
      name: "client RAM beyond the buffers, library defaults (XS): slots (objects, properties, typed array headers, closures)", ours: defaults.slots,
      peer: null, peerName: null, unit: "slots (16 bytes each on a 32-bit device)", higherIsBetter: false, ceiling: 100, cause: RAM_CAUSE,
    },
    ram("library defaults (1,024/4,096 buffers, 8 in flight, 32 slots)", "defaults"),
    ...boardKeys.map((key) => ram(`board ${key.slice(6)} default config`, key)),
    ram("small (512/1,024 buffers, 4 in flight, 8 slots)", "small"),
    ram("large (4,096/16,384 buffers, 16 in flight, 64 slots)", "large"),
    ...figure("client QoS 0 publish and write", result.data.qos0Publish as OpFigures, 800, QOS0_CAUSE),
    ...figure("client QoS 1 round trip: publish, write, PUBACK in", result.data.qos1RoundTrip as OpFigures, 1500, QOS1_CAUSE),
    ...figure("client inbound QoS 1 dispatch + PUBACK", result.data.inboundQos1 as OpFigures, 2000, INBOUND_CAUSE),
    ...figure(`telemetry sample read and formatted only (SHT3x, ${payloadBytes}-byte JSON)`, telemetry.data.format as OpFigures),
    ...figure(`telemetry sample formatted and published, QoS 0 (SHT3x, ${payloadBytes}-byte JSON)`, telemetry.data.qos0 as OpFigures, 3000, TELEMETRY_CAUSE),
    ...figure(`telemetry sample formatted and published, QoS 1 with PUBACK (SHT3x, ${payloadBytes}-byte JSON)`, telemetry.data.qos1 as OpFigures),
    ...through("QoS 0 publish, 48-byte payload,", "qos0", "client.publish + connection.service(): the write through the client's stage (copyWithin + 2 resizes)"),
    ...through("QoS 1 round trip (publish, write, PUBACK read)", "qos1", "one write and one read through the stage"),
    ...through("inbound QoS 1 (read, dispatch, PUBACK written)", "inbound", "one read and one write through the stage"),
    ...through("keepalive (PINGREQ written, PINGRESP read)", "keepalive", "connection.service() as the timer calls it"),
    ...through("telemetry sample (SHT3x read, JSON, QoS 0 publish, written)", "telemetry", "Telemetry.run + connection.service()"),
    ...through("3,037-byte publish written in 3 pieces as onWritable allows", "large", "each piece copied to the 1,536-byte stage"),
  ];
}
