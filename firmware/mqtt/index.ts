/**
 * mqtt-xs: the public entry. What users import; every other module under firmware/mqtt is internal and
 * may change. The client is sans-IO (see client/client.ts); firmware/net drives it over a device's sockets.
 */
export { MqttClient } from "./client/client.js";
export { ClientState } from "./client/lifecycle.js";
export { TopicHandle } from "./client/topic-handle.js";
export { MessageView, decodeUtf8 } from "./client/message.js";
export { ClientStats } from "./client/stats.js";
export { ClientArgumentError, ClientError, DisconnectReason, disconnectMessage, errorMessage } from "./client/errors.js";
export type { ClientOptions, ConnectProperties, QueuePolicy, ResolvedOptions, WillOptions } from "./client/options.js";
export type { PublishProperties } from "./client/publish-properties.js";
export { Properties, Property } from "./codec/properties.js";
export type { SubscribeRequest } from "./client/subscriptions.js";
export type { QoS } from "./codec/packet.js";
export { DecodeError } from "./codec/status.js";
