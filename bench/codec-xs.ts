/**
 * Codec cost on XS: computrons and bytes allocated per encode and decode of the telemetry PUBLISH, in
 * MQTT 3.1.1 and in MQTT 5.0 with properties (read when decoded).
 */
import { runXsModule } from "../test/xs/xs-run.js";
import { PROPERTIES_5 } from "./telemetry-packet.js";
import type { Figure } from "./figure.js";

interface OpFigures {
  computrons: number;
  slots: number;
  chunkBytes: number;
}

export async function codecXs(progress: (line: string) => void): Promise<Figure[]> {
  progress("codec (XS): running build/bench/xs/codec.xs.js on xsprobe");
  const [result] = await runXsModule("build/bench/xs/codec.xs.js", { timeoutMs: 120_000 });
  if (!result?.ok || !result.data) throw new Error("the XS codec bench failed: " + (result?.error ?? "no result"));
  const encode = result.data.encode as OpFigures;
  const decode = result.data.decode as OpFigures;
  const encode5 = result.data.encode5 as OpFigures;
  const decode5 = result.data.decode5 as OpFigures;
  const figure = (name: string, ours: number, unit: string, ceiling?: number): Figure => ({
    name, ours, peer: null, peerName: null, unit, higherIsBetter: false, ceiling,
    reference: "n/a: mqtt-packet needs Node's Buffer",
  });
  return [
    figure("codec encode PUBLISH QoS 1 (XS)", encode.computrons, "computrons/op", 500),
    figure("codec decode PUBLISH QoS 1 (XS)", decode.computrons, "computrons/op"),
    figure(`codec encode PUBLISH QoS 1, MQTT 5.0 with ${PROPERTIES_5} (XS)`, encode5.computrons, "computrons/op"),
    figure(`codec decode PUBLISH QoS 1, MQTT 5.0 with ${PROPERTIES_5}, read (XS)`, decode5.computrons, "computrons/op"),
    figure("codec encode + decode: heap allocated (XS)", ((encode.slots + decode.slots) * 16 + encode.chunkBytes + decode.chunkBytes) / 10_000, "bytes/op (slots x 16 + chunk bytes, peak over 10,000 ops)", 0),
    figure("codec encode + decode, MQTT 5.0 with properties: heap allocated (XS)", ((encode5.slots + decode5.slots) * 16 + encode5.chunkBytes + decode5.chunkBytes) / 10_000, "bytes/op (slots x 16 + chunk bytes, peak over 10,000 ops)", 0),
  ];
}
