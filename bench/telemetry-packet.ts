/**
 * The packet every codec figure is measured on: a typical telemetry PUBLISH, QoS 1, with a 48-byte
 * JSON payload on `devices/esp32-a1b2c3/telemetry/temperature`. Runs on Node and on XS.
 */
export const TOPIC = "devices/esp32-a1b2c3/telemetry/temperature";
/** 48 bytes of JSON. */
export const PAYLOAD = '{"ts":1732460000123,"seq":42,"temperature":21.4}';
export const PACKET_ID = 42;
