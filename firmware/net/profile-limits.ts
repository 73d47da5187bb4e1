/**
 * The limits hosted brokers document, each with its source, for the profiles (profiles.ts) and the client
 * that holds itself to them (profile-client.ts). Runs on XS; every table frozen.
 */
/** A broker's documented limits, each with where it is written. */
export interface ProfileLimits {
  /** The highest QoS of a PUBLISH the broker takes (a higher one is refused at publish()). */
  readonly maxQoS: 0 | 1 | 2;
  /** The highest QoS a SUBSCRIBE may ask for (a higher one is refused at subscribe()). */
  readonly maxSubscribeQoS: 0 | 1 | 2;
  readonly qosSource: string;
  /** The largest payload, bytes; 0: no documented limit. */
  readonly maxPayload: number;
  readonly payloadSource: string;
  /** The keepalive (seconds) the broker accepts: keepaliveMin to keepaliveMax. */
  readonly keepaliveMin: number;
  readonly keepaliveMax: number;
  readonly keepaliveSource: string;
  /**
   * The least reconnectPeriod (ms) allowed: the client waits between half of it and all of it before
   * its first retry (firmware/mqtt/client/backoff.ts), never less, so this bounds the attempts a minute.
   * 0 (never reconnect) is always allowed.
   */
  readonly reconnectPeriodMin: number;
  readonly reconnectSource: string;
  /** Whether MQTT 5.0 (protocolVersion: 5) is served. */
  readonly mqtt5: boolean;
  readonly mqtt5Source: string;
}


const KB = 1024;
export const AWS_MQTT = "https://docs.aws.amazon.com/iot/latest/developerguide/mqtt.html";
export const AWS_QUOTAS = "https://docs.aws.amazon.com/general/latest/gr/iot-core.html#message-broker-limits";
export const AZURE_MQTT = "https://learn.microsoft.com/en-us/azure/iot/iot-mqtt-connect-to-iot-hub";
export const ADAFRUIT_MQTT = "https://io.adafruit.com/api/docs/mqtt.html#mqtt-api-rate-limiting";
export const ADAFRUIT_QOS = "https://io.adafruit.com/api/docs/mqtt.html#mqtt-api-qos";

/** No limit beyond MQTT's own. */
const NO_LIMITS: ProfileLimits = Object.freeze({
  maxQoS: 2,
  maxSubscribeQoS: 2,
  qosSource: "",
  maxPayload: 0,
  payloadSource: "",
  keepaliveMin: 0,
  keepaliveMax: 65_535,
  keepaliveSource: "",
  reconnectPeriodMin: 0,
  reconnectSource: "",
  mqtt5: true,
  mqtt5Source: "",
});

/**
 * AWS IoT Core. QoS 0 and 1 only: "AWS IoT Core does not support publishing or subscribing with QoS
 * level 2. When QoS level 2 is requested, the AWS IoT message broker does not send a PUBACK or SUBACK"
 * (AWS_MQTT), so a QoS 2 publish or subscribe would wait for nothing. Payload at most 128 KB, keepalive
 * 30-1200 s, one connect a second per client ID (AWS_QUOTAS): a reconnectPeriod of at least 2 s keeps
 * every retry 1 s or more after the one before.
 */
export const AWS_LIMITS: ProfileLimits = Object.freeze({
  ...NO_LIMITS,
  maxQoS: 1,
  maxSubscribeQoS: 1,
  qosSource: AWS_MQTT,
  maxPayload: 128 * KB,
  payloadSource: AWS_QUOTAS,
  keepaliveMin: 30,
  keepaliveMax: 1200,
  keepaliveSource: AWS_QUOTAS,
  reconnectPeriodMin: 2000,
  reconnectSource: AWS_QUOTAS,
});

/**
 * Azure IoT Hub: MQTT 3.1.1 on 8883 (5.0 only on preview hubs, deprecated); "IoT Hub doesn't support QoS
 * 2 messages. If a device app publishes a message with QoS 2, IoT Hub closes the network connection"
 * (a SUBSCRIBE at QoS 2 is granted QoS 1); 256 KB the largest message (AZURE_MQTT).
 */
export const AZURE_LIMITS: ProfileLimits = Object.freeze({
  ...NO_LIMITS,
  maxQoS: 1,
  qosSource: AZURE_MQTT,
  maxPayload: 256 * KB,
  payloadSource: AZURE_MQTT,
  mqtt5: false,
  mqtt5Source: AZURE_MQTT,
});

/**
 * Adafruit IO: publishing at QoS 0 and 1 only (ADAFRUIT_QOS); "attempt to log in more than 20 times within
 * a minute, your account will be temporarily banned" (ADAFRUIT_MQTT): a reconnectPeriod of at least 6.5 s
 * makes every retry at least 3.25 s after the one before, so at most 19 attempts in any minute. The
 * profile's default, 20 s, follows Adafruit's own advice of 10 s or more between reconnection attempts
 * (https://io.adafruit.com/blog/changelog/2017/06/30/throttling-update/). 100 KB the largest payload: the
 * figure of the issue that asked for this profile; not found in Adafruit's documentation as we could read it.
 */
export const ADAFRUIT_LIMITS: ProfileLimits = Object.freeze({
  ...NO_LIMITS,
  maxQoS: 1,
  qosSource: ADAFRUIT_QOS,
  maxPayload: 100 * KB,
  payloadSource: "100 KB: unverified (not in Adafruit IO's MQTT documentation)",
  reconnectPeriodMin: 6500,
  reconnectSource: ADAFRUIT_MQTT,
});

/** HiveMQ Cloud and the Home Assistant Mosquitto add-on document no limit beyond MQTT's own. */
export const OPEN_LIMITS: ProfileLimits = NO_LIMITS;
