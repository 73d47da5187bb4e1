/**
 * Simulated sensors with the shapes of the ECMA-419 drivers (embedded:sensor/...): SHT3x samples
 * {thermometer: {temperature}, hygrometer: {humidity}}, BMP280 {barometer: {pressure (Pa)}, thermometer}.
 * Values wander slowly within a plausible indoor range; `failEvery` makes every Nth read fail as a
 * disconnected sensor does (sample() throws).
 */
export interface SimSensorOptions {
  seed?: number;
  failEvery?: number;
}

/** A small deterministic random walk. */
class Walk {
  private state: number;
  constructor(
    seed: number,
    public value: number,
    private readonly min: number,
    private readonly max: number,
    private readonly step: number,
  ) {
    this.state = seed >>> 0 || 1;
  }
  next(): number {
    this.state ^= this.state << 13;
    this.state ^= this.state >>> 17;
    this.state ^= this.state << 5;
    const r = (this.state >>> 0) / 4294967296 - 0.5;
    this.value = Math.min(this.max, Math.max(this.min, this.value + r * this.step));
    return this.value;
  }
}

abstract class SimSensor {
  private reads = 0;
  constructor(private readonly failEvery: number) {}
  protected check(): void {
    this.reads++;
    if (this.failEvery > 0 && this.reads % this.failEvery === 0) throw new Error("I2C read failed (simulated)");
  }
}

export class SimSHT3x extends SimSensor {
  private readonly temperature: Walk;
  private readonly humidity: Walk;
  constructor(options: SimSensorOptions = {}) {
    super(options.failEvery ?? 0);
    const seed = options.seed ?? 1;
    this.temperature = new Walk(seed, 21.5, 15, 30, 0.2);
    this.humidity = new Walk(seed * 7 + 3, 40, 20, 70, 0.5);
  }
  sample() {
    this.check();
    return { thermometer: { temperature: this.temperature.next() }, hygrometer: { humidity: this.humidity.next() } };
  }
}

export class SimBMP280 extends SimSensor {
  private readonly pressure: Walk;
  private readonly temperature: Walk;
  constructor(options: SimSensorOptions = {}) {
    super(options.failEvery ?? 0);
    const seed = options.seed ?? 1;
    this.pressure = new Walk(seed * 13 + 5, 101_325, 98_000, 104_000, 20);
    this.temperature = new Walk(seed * 17 + 11, 21.8, 15, 30, 0.2);
  }
  sample() {
    this.check();
    return { barometer: { pressure: this.pressure.next() }, thermometer: { temperature: this.temperature.next() } };
  }
}
