/**
 * A stand-in for embedded:io/i2c in the lin build (the desktop has no I2C bus): the simulated sensors
 * take it as their `io` and never call it.
 */
export default class I2C {
  constructor(_options: Record<string, unknown>) {}
  read(): undefined {
    return undefined;
  }
  write(): void {}
  close(): void {}
}
