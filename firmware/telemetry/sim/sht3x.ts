/**
 * A simulated SHT3x with the driver's module shape (embedded:sensor/Humidity-Temperature/SHT3x): the lin
 * manifest maps that name here, as the desktop has no I2C. Unlike the real driver, sample() returns the
 * same object every time (updated in place), so it allocates nothing: the XS allocation test uses it.
 * No imports: under its embedded: name a relative import would resolve beside that name, not here.
 */
export default class SHT3x {
  private state: number;
  private readonly result = { thermometer: { temperature: 21.5 }, hygrometer: { humidity: 40 } };

  constructor(options: { sensor?: { address?: number }; seed?: number } = {}) {
    this.state = (options.seed ?? (options.sensor?.address ?? 0x44) * 7919) >>> 0 || 1;
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

  sample(): { thermometer: { temperature: number }; hygrometer: { humidity: number } } {
    const result = this.result;
    const t = result.thermometer.temperature + this.random() * 0.2;
    const h = result.hygrometer.humidity + this.random() * 0.5;
    result.thermometer.temperature = t < 15 ? 15 : t > 30 ? 30 : t;
    result.hygrometer.humidity = h < 20 ? 20 : h > 70 ? 70 : h;
    return result;
  }

  close(): void {}
}
