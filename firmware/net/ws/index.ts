/** MQTT over WebSockets (RFC 6455): a socket constructor for MqttConnection, and the causes it reports. */
export { webSocketOver, WebSocketSocket, type WebSocketOptions } from "./socket.js";
export { WebSocketCause } from "./causes.js";
