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

export class SimSHT3x extends SHT3x {
  private reads = 0;
  private readonly failEvery: number;
  constructor(options: SimSensorOptions = {}) {
    super({ seed: options.seed ?? 1 });
    this.failEvery = options.failEvery ?? 0;
  }
  override sample() {
    if (this.failEvery > 0 && ++this.reads % this.failEvery === 0) throw new Error("I2C read failed (simulated)");
    return super.sample();
  }
}

export class SimBMP280 extends BMP280 {
  private reads = 0;
  private readonly failEvery: number;
  constructor(options: SimSensorOptions = {}) {
    super({ seed: options.seed ?? 1 });
    this.failEvery = options.failEvery ?? 0;
  }
  override sample() {
    if (this.failEvery > 0 && ++this.reads % this.failEvery === 0) throw new Error("I2C read failed (simulated)");
    return super.sample();
  }
}
