/**
 * The sensor kinds the firmware knows, as the ECMA-419 drivers shape their samples, and how each reading
 * is published: its JSON key, decimals, unit (the device contract in README.md) and its Home Assistant
 * device class and unit. A board names a kind ("driver"); the readings come from here, not from code.
 */

/** One value a sensor reports: sample()[quantity][property], published as `key`. */
export interface Reading {
  /** The JSON key in the telemetry payload, and the <quantity> of the discovery object id. */
  key: string;
  /** The sample's group: "thermometer", "hygrometer", "barometer" (ECMA-419 sensor class pattern). */
  quantity: string;
  property: string;
  /** Places after the decimal point in the payload (0-6). */
  decimals: number;
  /** The unit in the payload, as README's device contract states it. */
  unit?: string;
  /** Home Assistant device_class (temperature, humidity, pressure). */
  deviceClass?: string;
  /** Home Assistant unit_of_measurement, when it differs from `unit` (humidity: "%", not "%RH"). */
  haUnit?: string;
}

export type SensorDriver = "SHT3x" | "BMP280";

export interface SensorKind {
  manufacturer: string;
  readings: readonly Reading[];
}

const temperature: Reading = Object.freeze({ key: "temperature", quantity: "thermometer", property: "temperature", decimals: 2, unit: "°C", deviceClass: "temperature" });

export const SENSOR_KINDS: Readonly<Record<SensorDriver, SensorKind>> = Object.freeze({
  // embedded:sensor/Humidity-Temperature/SHT3x: {thermometer: {temperature}, hygrometer: {humidity}}
  SHT3x: Object.freeze({
    manufacturer: "Sensirion",
    readings: Object.freeze([temperature, Object.freeze({ key: "humidity", quantity: "hygrometer", property: "humidity", decimals: 1, unit: "%RH", deviceClass: "humidity", haUnit: "%" })]),
  }),
  // embedded:sensor/Barometer-Temperature/BMP280: {barometer: {pressure /* Pa */}, thermometer: {temperature}}
  BMP280: Object.freeze({
    manufacturer: "Bosch Sensortec",
    // Home Assistant's pressure device class accepts "Pa" as it is: no scaling in a value template.
    readings: Object.freeze([Object.freeze({ key: "pressure", quantity: "barometer", property: "pressure", decimals: 0, unit: "Pa", deviceClass: "pressure" }), temperature]),
  }),
});

/** The kind of a driver name, or throws a TypeError naming the known ones (set-up, not a hot path). */
export function sensorKind(driver: string): SensorKind {
  const kind = (SENSOR_KINDS as Record<string, SensorKind | undefined>)[driver];
  if (kind === undefined) throw new TypeError(`unknown sensor driver ${JSON.stringify(driver)}: one of ${Object.keys(SENSOR_KINDS).join(", ")}`);
  return kind;
}
