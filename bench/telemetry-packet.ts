/**
 * The packet every codec figure is measured on: a typical telemetry PUBLISH, QoS 1, with a 48-byte
 * JSON payload on `devices/esp32-a1b2c3/telemetry/temperature`. Runs on Node and on XS.
 */
export const TOPIC = "devices/esp32-a1b2c3/telemetry/temperature";
/** 48 bytes of JSON. */
export const PAYLOAD = '{"ts":1732460000123,"seq":42,"temperature":21.4}';
export const PACKET_ID = 42;

/**
 * The MQTT 5.0 figures' PUBLISH: the same topic, payload and packet id, with properties, in the order
 * mqtt-packet writes them (its object's key order): a Topic Alias set with the topic (the first PUBLISH
 * of an alias), a Message Expiry Interval, a Content Type and two User Properties: 49 bytes of properties.
 */
export const TOPIC_ALIAS = 3;
export const MESSAGE_EXPIRY_INTERVAL = 3600;
export const CONTENT_TYPE = "application/json";
export const USER_PROPERTIES: readonly (readonly [string, string])[] = [
  ["unit", "C"],
  ["site", "lab"],
];
/** What the 5.0 figures' packet carries, for their names. */
export const PROPERTIES_5 = "Topic Alias, Message Expiry, Content Type, 2 User Properties";
