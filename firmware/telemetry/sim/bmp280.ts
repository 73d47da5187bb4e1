/**
 * A simulated BMP280 with the driver's module shape (embedded:sensor/Barometer-Temperature/BMP280),
 * for the lin build: pressure in Pa, temperature in °C; sample() reuses one object (no allocation).
 * No imports: under its embedded: name a relative import would resolve beside that name, not here.
 */
export default class BMP280 {
  private state: number;
  private readonly result = { barometer: { pressure: 101_325 }, thermometer: { temperature: 21.8 } };

  constructor(options: { sensor?: { address?: number }; seed?: number } = {}) {
    this.state = (options.seed ?? (options.sensor?.address ?? 0x76) * 104729) >>> 0 || 1;
  }

  /** xorshift32, as a fraction in [-0.5, 0.5). */
  private random(): number {
    let s = this.state;
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    this.state = s >>> 0;
    return this.state / 4294967296 - 0.5;
  }

  sample(): { barometer: { pressure: number }; thermometer: { temperature: number } } {
    const result = this.result;
    const p = result.barometer.pressure + this.random() * 20;
    const t = result.thermometer.temperature + this.random() * 0.2;
    result.barometer.pressure = p < 98_000 ? 98_000 : p > 104_000 ? 104_000 : p;
    result.thermometer.temperature = t < 15 ? 15 : t > 30 ? 30 : t;
    return result;
  }

  close(): void {}
}
