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
  progress("telemetry (XS): running build/bench/xs/telemetry.xs.js on xsprobe");
  const [telemetry] = await runXsModule("build/bench/xs/telemetry.xs.js", { timeoutMs: 120_000 });
  if (!telemetry?.ok || !telemetry.data) throw new Error("the XS telemetry bench failed: " + (telemetry?.error ?? "no result"));

  const figure = (name: string, op: OpFigures): Figure[] => [
    { name: name + " (XS)", ours: op.computrons, peer: null, peerName: null, unit: "computrons/op", higherIsBetter: false },
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
  const boardKeys = Object.keys(memory.data).filter((key) => key.startsWith("board "));
  const payloadBytes = telemetry.data.payloadBytes as number;
  return [
    ram("library defaults (1,024/4,096 buffers, 8 in flight, 32 slots)", "defaults"),
    ...boardKeys.map((key) => ram(`board ${key.slice(6)} default config`, key)),
    ram("small (512/1,024 buffers, 4 in flight, 8 slots)", "small"),
    ram("large (4,096/16,384 buffers, 16 in flight, 64 slots)", "large"),
    ...figure("client QoS 0 publish and write", result.data.qos0Publish as OpFigures),
    ...figure("client QoS 1 round trip: publish, write, PUBACK in", result.data.qos1RoundTrip as OpFigures),
    ...figure("client inbound QoS 1 dispatch + PUBACK", result.data.inboundQos1 as OpFigures),
    ...figure(`telemetry sample read and formatted only (SHT3x, ${payloadBytes}-byte JSON)`, telemetry.data.format as OpFigures),
    ...figure(`telemetry sample formatted and published, QoS 0 (SHT3x, ${payloadBytes}-byte JSON)`, telemetry.data.qos0 as OpFigures),
    ...figure(`telemetry sample formatted and published, QoS 1 with PUBACK (SHT3x, ${payloadBytes}-byte JSON)`, telemetry.data.qos1 as OpFigures),
  ];
}
