/**
 * mqtt-xs's network adapter: the public entry for driving an MqttClient over a device's ECMA-419 sockets,
 * DNS resolver and timer (firmware/net/connection.ts), and the shapes of those device modules.
 */
export { MqttConnection } from "./connection.js";
export type { BrokerAddress, ConnectionEvents } from "./connection.js";
export type { NetDevice, Resolver, Socket, SocketOptions, TLSOptions, TimerModule } from "./device.js";
