/**
 * The composed client held to a broker profile's limits (profiles.ts): what the broker documents it
 * refuses is refused here, before anything is sent.
 * - At start-up (connectProfile / new ProfileMqtt), a TypeError or RangeError naming the option: an
 *   option the profile sets (host, port, TLS, credentials; the client ID for AWS and Azure); a keepalive
 *   outside the broker's range; a reconnectPeriod (or reconnectPeriodMax) that would retry faster than it
 *   allows; a will above its QoS or payload limit; MQTT 5.0 where it serves 3.1.1 only.
 * - At the call: publish() above the broker's QoS returns ClientError.QoSNotSupported (-115), a payload
 *   over its limit ClientError.PacketTooLargeForServer (-117), the same codes a 5.0 broker's CONNACK limits
 *   give; subscribe() above its QoS throws ClientArgumentError (QoSNotSupported). describeRefusal() has
 *   the words, with the broker and the source.
 * Nothing of firmware/mqtt/ changes: the limits are checked here, in front of Mqtt's own calls.
 */
import { ClientArgumentError, ClientError, errorMessage, type MessageView, type PublishProperties, type QoS, type TopicHandle } from "../mqtt/index.js";
import { utf8Length } from "../mqtt/codec/wire.js";
import { Mqtt, type MqttOptions } from "./mqtt.js";
import type { ProfileLimits } from "./profile-limits.js";
import type { Profile } from "./profiles.js";

/** The app's options with a profile: the device, callbacks and client options; the broker comes from the profile. */
export type ProfileAppOptions = Omit<MqttOptions, "host" | "port" | "tls" | "ca" | "serverName" | "cert" | "key" | "ALPNProtocols" | "websocket" | "username" | "password">;

/** The payload's size in bytes, or -1 if it is neither bytes nor a string (the client refuses it itself). */
function payloadSize(payload: unknown): number {
  if (typeof payload === "string") return utf8Length(payload);
  if (payload instanceof Uint8Array) return payload.length;
  return -1;
}

/**
 * What a profile's broker says to a publish, before the client sees it.
 * @returns 0, ClientError.QoSNotSupported or ClientError.PacketTooLargeForServer
 */
export function checkPublish(limits: ProfileLimits, payload: unknown, qos: number): number {
  if (qos > limits.maxQoS && qos <= 2) return ClientError.QoSNotSupported;
  if (limits.maxPayload > 0 && payloadSize(payload) > limits.maxPayload) return ClientError.PacketTooLargeForServer;
  return 0;
}

/**
 * The words for a refusal by a profile's limits, with the broker and the source.
 * @param profile - the profile
 * @param code - what publish() returned (or a ClientArgumentError's code)
 */
export function describeRefusal(profile: Profile, code: number): string {
  const l = profile.limits;
  if (code === ClientError.QoSNotSupported) {
    return `${profile.broker} takes QoS ${l.maxQoS === 0 ? "0" : `0 to ${l.maxQoS}`} only (${l.qosSource})`;
  }
  if (code === ClientError.PacketTooLargeForServer && l.maxPayload > 0) {
    return `${profile.broker} takes payloads of at most ${l.maxPayload} bytes (${l.payloadSource})`;
  }
  return errorMessage(code);
}

function source(text: string): string {
  return text ? ` (${text})` : "";
}

/**
 * The composed client's options for a profile and the app's options, checked against the profile.
 * @throws TypeError for an option the profile sets; RangeError for one outside the broker's limits
 */
export function profileOptions(profile: Profile, options: ProfileAppOptions): MqttOptions {
  if (profile === null || typeof profile !== "object" || typeof profile.limits !== "object") throw new TypeError("profile: a broker profile, e.g. awsIot({...}) (firmware/net/profiles.ts)");
  if (options === null || typeof options !== "object") throw new TypeError("options: an object with at least device");
  const given = options as Record<string, unknown>;
  const fixed = profile.options as Record<string, unknown>;
  for (const name of profile.fixed) {
    if (given[name] !== undefined) {
      const set = fixed[name] !== undefined ? "set by" : "not used with";
      throw new TypeError(`options.${name}: ${set} the ${profile.name} profile: give it in the profile's settings`);
    }
  }
  const merged = { ...profile.options, ...options } as MqttOptions;
  const l = profile.limits;
  const broker = profile.broker;
  const keepalive = merged.keepalive ?? 60;
  if (!(keepalive >= l.keepaliveMin && keepalive <= l.keepaliveMax)) {
    throw new RangeError(`options.keepalive: ${broker} accepts ${l.keepaliveMin} to ${l.keepaliveMax} s, not ${String(keepalive)}${source(l.keepaliveSource)}`);
  }
  const period = merged.reconnectPeriod ?? 1000;
  if (period !== 0) {
    for (const [name, value] of [["reconnectPeriod", period], ["reconnectPeriodMax", merged.reconnectPeriodMax ?? 60_000]] as const) {
      if (typeof value === "number" && value < l.reconnectPeriodMin) {
        throw new RangeError(
          `options.${name}: at least ${l.reconnectPeriodMin} ms with ${broker}, not ${value}: the client may wait as little as half of it ` +
            `before a retry, and ${broker} limits how often a client connects${source(l.reconnectSource)}`,
        );
      }
    }
  }
  if (merged.protocolVersion === 5 && !l.mqtt5) throw new RangeError(`options.protocolVersion: ${broker} serves MQTT 3.1.1 (4) only${source(l.mqtt5Source)}`);
  const will = merged.will;
  if (will !== undefined && will !== null && typeof will === "object") {
    if (typeof will.qos === "number" && will.qos > l.maxQoS) throw new RangeError(`options.will.qos: ${describeRefusal(profile, ClientError.QoSNotSupported)}, not ${will.qos}`);
    if (l.maxPayload > 0 && payloadSize(will.payload) > l.maxPayload) throw new RangeError(`options.will.payload: ${describeRefusal(profile, ClientError.PacketTooLargeForServer)}`);
  }
  return merged;
}

/** The composed client (Mqtt) held to a broker profile's limits. */
export class ProfileMqtt extends Mqtt {
  /** The profile it was made with. */
  readonly profile: Profile;

  /**
   * Makes the client for a profile; start() connects. connectProfile() does both.
   * @throws TypeError or RangeError naming the option, before any connection (see profileOptions)
   */
  constructor(profile: Profile, options: ProfileAppOptions) {
    super(profileOptions(profile, options));
    this.profile = profile;
  }

  /**
   * Mqtt.publish, after the profile's limits.
   * @returns as Mqtt.publish; also ClientError.QoSNotSupported (-115) above the broker's QoS and
   *   ClientError.PacketTooLargeForServer (-117) over its payload limit: nothing queued, nothing sent
   *   (describeRefusal(this.profile, code) has the words)
   */
  override publish(topic: TopicHandle | string, payload: Uint8Array | string, qos: QoS = 0, retain = false, properties?: PublishProperties): number {
    const refused = checkPublish(this.profile.limits, payload, qos);
    if (refused !== 0) return refused;
    return super.publish(topic, payload, qos, retain, properties);
  }

  /**
   * Mqtt.subscribe, after the profile's limits.
   * @throws ClientArgumentError (QoSNotSupported) above the QoS the broker takes in a SUBSCRIBE, with the words
   */
  override subscribe(filter: string, qos: QoS = 0, onMessage?: (this: Mqtt, message: MessageView) => void): this {
    if (qos > this.profile.limits.maxSubscribeQoS && qos <= 2) {
      throw new ClientArgumentError(ClientError.QoSNotSupported, `subscribe ${JSON.stringify(filter)} at QoS ${qos}: ${this.profile.broker} takes QoS 0 to ${this.profile.limits.maxSubscribeQoS} only (${this.profile.limits.qosSource})`);
    }
    return super.subscribe(filter, qos, onMessage);
  }
}

/**
 * Connects to a profile's broker: makes the client and starts it.
 * @param profile - from awsIot(), azureIotHub(), hivemqCloud(), adafruitIo() or homeAssistant()
 * @param options - the device, callbacks and client options (not the broker: the profile has it)
 * @returns the client, already connecting
 * @throws TypeError or RangeError naming the option, before any connection attempt
 */
export function connectProfile(profile: Profile, options: ProfileAppOptions): ProfileMqtt {
  return new ProfileMqtt(profile, options).start();
}
