/** Client cost on XS: computrons and bytes allocated per QoS 1 round trip, QoS 0 publish and inbound dispatch. */
import { runXsModule } from "../test/xs/xs-run.js";
import type { Figure } from "./figure.js";

interface OpFigures {
  computrons: number;
  slots: number;
  chunkBytes: number;
}

export async function clientXs(progress: (line: string) => void): Promise<Figure[]> {
  progress("client (XS): running build/bench/xs/client.xs.js on xsprobe");
  const [memory, result] = await runXsModule("build/bench/xs/client.xs.js", { timeoutMs: 120_000 });
  if (!memory?.ok || !memory.data) throw new Error("the XS client memory bench failed: " + (memory?.error ?? "no result"));
  if (!result?.ok || !result.data) throw new Error("the XS client bench failed: " + (result?.error ?? "no result"));
  const figure = (name: string, key: string): Figure[] => {
    const op = result.data![key] as OpFigures;
    return [
      { name: name + " (XS)", ours: op.computrons, peer: null, peerName: null, unit: "computrons/op", higherIsBetter: false },
      {
        name: name + " allocation (XS)", ours: op.slots + op.chunkBytes, peer: null, peerName: null, unit: "slots + chunk bytes/10,000 ops", higherIsBetter: false, ceiling: 0,
        reference: "Moddable's clients, published: 900-1,200 heap bytes per publish",
      },
    ];
  };
  const ram = (name: string, key: string): Figure => {
    const held = memory.data![key] as { slots: number; chunkBytes: number };
    // A slot is 16 bytes on 32-bit devices (ESP32, Pico), 32 on this 64-bit host.
    return {
      name: `client RAM after construction, ${name} (XS): ${held.slots} slots + ${held.chunkBytes} chunk bytes`,
      ours: held.slots * 16 + held.chunkBytes, peer: null, peerName: null, unit: "bytes on a 32-bit device", higherIsBetter: false,
    };
  };
  return [
    ram("default options", "defaults"),
    ram("small (512/1024 buffers, 8 slots)", "small"),
    ram("large (4096/16384 buffers, 64 slots)", "large"),
    ...figure("client QoS 1 round trip", "qos1RoundTrip"), ...figure("client QoS 0 publish", "qos0Publish"), ...figure("client inbound QoS 1 dispatch + PUBACK", "inboundQos1"),
  ];
}
