// The simulator's power-cut fault on a board with a store (boards/esp32_devkit.json "store"): the power
// goes at a random byte of a flash write, the board's network goes with it, and the board boots again over
// the same flash and network: its client loads its outbox back and reconnects with its session.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClientState } from "../../firmware/mqtt/index.js";
import { armPowerCut } from "../../host-sim/board-flash.js";
import { bootBoard, type SimulatedBoard } from "../../host-sim/boot.js";
import { startEmbeddedBroker, type EmbeddedBroker } from "../../host-sim/broker.js";
import { waitFor } from "../integration/sim.js";

describe("host-sim: the power-cut fault", () => {
  let broker: EmbeddedBroker;
  beforeAll(async () => {
    broker = await startEmbeddedBroker();
  });
  afterAll(async () => {
    await broker?.close();
  });

  it("cuts the power at a flash write, reboots the board over the same flash, and the new client resumes", async () => {
    const first = bootBoard({ board: "esp32_devkit", broker: { host: "127.0.0.1", port: broker.port, tls: false }, interval: 50, seed: 7 });
    expect(first.flash).not.toBeNull();
    await waitFor(() => first.device.client.state === ClientState.Connected, 5000, "the first boot to connect");
    let rebooted: SimulatedBoard | null = null;
    armPowerCut(first.flash!, first.network, () => first.device, () => {
      rebooted = bootBoard({ board: "esp32_devkit", broker: { host: "127.0.0.1", port: broker.port, tls: false }, interval: 50, seed: 7, network: first.network, flash: first.flash! });
    }, 600);
    await waitFor(() => rebooted !== null, 10_000, "the power cut and the reboot");
    const flash = first.flash!;
    expect(flash.cutWrite).not.toBeNull();
    expect(first.device.client.state).toBe(ClientState.Stopped);
    const next = rebooted! as SimulatedBoard;
    await waitFor(() => next.device.client.state === ClientState.Connected && next.device.client.stats.acked > 0, 10_000, "the rebooted board to connect and be acked");
    next.device.stop();
  });
});
