/**
 * Simulated sensors for the simulator: the firmware's own simulated drivers (firmware/telemetry/sim/, the
 * shapes of the ECMA-419 SHT3x and BMP280 drivers, which the lin build uses too), plus `failEvery`, which
 * makes every Nth read throw as a disconnected sensor does.
 */
import BMP280 from "../firmware/telemetry/sim/bmp280.js";
import SHT3x from "../firmware/telemetry/sim/sht3x.js";

export interface SimSensorOptions {
  seed?: number;
  /** Every Nth sample() throws (0: never). */
  failEvery?: number;
}

/** A driver class whose every Nth sample() throws. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- TypeScript's mixin form
function failing<T extends new (...args: any[]) => { sample(): unknown }>(Driver: T) {
  return class extends Driver {
    private reads = 0;
    private readonly failEvery: number;
    constructor(...args: any[]) {
      const options = (args[0] ?? {}) as SimSensorOptions;
      super({ seed: options.seed ?? 1 });
      this.failEvery = options.failEvery ?? 0;
    }
    override sample() {
      if (this.failEvery > 0 && ++this.reads % this.failEvery === 0) throw new Error("I2C read failed (simulated)");
      return super.sample();
    }
  };
}

export const SimSHT3x = failing(SHT3x) as unknown as new (options?: SimSensorOptions) => SHT3x;
export const SimBMP280 = failing(BMP280) as unknown as new (options?: SimSensorOptions) => BMP280;
