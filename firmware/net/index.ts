/**
 * mqtt-xs's network adapter: the public entry for driving an MqttClient over a device's ECMA-419 sockets,
 * DNS resolver and timer (firmware/net/connection.ts), and the shapes of those device modules.
 */
export { Mqtt, connect, describeError, parseBrokerUrl } from "./mqtt.js";
export type { MqttCallbacks, MqttOptions } from "./mqtt.js";
export { MqttConnection } from "./connection.js";
export type { BrokerAddress, ConnectionEvents, DerBytes } from "./connection.js";
export { describeCause } from "./causes.js";
export { TransportCause } from "../mqtt/client/errors.js";
export type { NetDevice, Resolver, Socket, SocketOptions, TLSOptions, TimerModule } from "./device.js";
export { adafruitIo, awsIot, azureIotHub, hivemqCloud, homeAssistant, AZURE_API_VERSION } from "./profiles.js";
export type { AwsIotSettings, AzureIotHubSettings, Profile, ProfileOptions } from "./profiles.js";
export { connectProfile, describeRefusal, ProfileMqtt } from "./profile-client.js";
export type { ProfileAppOptions } from "./profile-client.js";
export { ADAFRUIT_LIMITS, AWS_LIMITS, AZURE_LIMITS, OPEN_LIMITS } from "./profile-limits.js";
export type { ProfileLimits } from "./profile-limits.js";
