/**
 * The device entry (the manifest's "main"): the device's modules by their real names, the configuration
 * from mc/config (the manifest's config, overridden by `mcconfig ... key=value`) and the board in it, the
 * TLS material it names (resources of the build, loaded with the SDK's Resource), then the app. The
 * Moddable runtime calls the default export once Wi-Fi is up (setup/network) and the clock is set if
 * `sntp` is given. Runs only in an mcconfig build; the integration test runs it on host-sim's
 * modules under the same names.
 */
import config from "mc/config";
import I2C from "embedded:io/i2c";
import TCP from "embedded:io/socket/tcp";
import TLS from "embedded:io/socket/tcp/tls";
import UDP from "embedded:io/socket/udp";
import DNS from "embedded:network/dns/resolver/udp";
import SHT3x from "embedded:sensor/Humidity-Temperature/SHT3x";
import BMP280 from "embedded:sensor/Barometer-Temperature/BMP280";
import Resource from "Resource";
import Time from "time";
import Timer from "timer";
import { Device, type DeviceEvents } from "./app.js";
import { disconnectMessage } from "./mqtt/index.js";
import { describeCause } from "./net/causes.js";
import type { DerBytes } from "./net/broker.js";
import type { NetDevice, ResolverConstructor, SocketConstructor, TLSOptions } from "./net/device.js";
import type { BoardSpec, SensorSpec } from "./telemetry/board.js";
import { wallClock } from "./telemetry/clock.js";
import { deviceConfigFrom, type McConfig } from "./config.js";
import type { Sensor } from "./telemetry/task.js";
import { openStore, type BoardStoreSpec } from "./store-device.js";

const log = (text: string): void => {
  if (typeof trace === "function") trace(text + "\n");
};

/** The running app, for the words of a disconnect's cause (its address and port). */
let running: Device | null = null;

/** Logs what the device does, to xsbug or the serial output. */
const logEvents: DeviceEvents = {
  onAttempt: (host, address) => log(address ? `mqtt: connecting to ${address}` : `mqtt: resolving ${host}`),
  onConnected: () => log("mqtt: connected"),
  onDisconnected: (reason, cause, retryIn) =>
    log(
      `mqtt: disconnected, ${cause !== 0 && running !== null ? describeCause(cause, running.connection) : disconnectMessage(reason)}; ` +
        (retryIn < 0 ? "no reconnect" : `next attempt in ${(retryIn / 1000).toFixed(1)} s`),
    ),
  onSensorError: (sensor, message) => log(`sensor ${sensor}: ${message}`),
  onCommand: (result) => log(`command ${result.cmd}: ${result.ok ? "ok" : result.error}`),
};

/** The sensor a board names, on the board's I2C bus. Throws if it does not answer (retried by the app). */
function makeSensor(spec: SensorSpec, board: BoardSpec): Sensor {
  const sensor = { io: I2C, data: board.i2c.sda, clock: board.i2c.scl, port: board.i2c.port, hz: board.i2c.hz, address: spec.address };
  if (spec.driver === "SHT3x") return new SHT3x({ sensor }) as unknown as Sensor;
  if (spec.driver === "BMP280") return new BMP280({ sensor }) as unknown as Sensor;
  throw new TypeError(`no driver for ${String(spec.driver)}`);
}

export default function main(events: DeviceEvents = logEvents): Device {
  // Every key read here is declared in each manifest's config (test/manifests.test.ts checks it).
  const settings: McConfig = {
    board: config.board as BoardSpec,
    deviceId: config.deviceId as string,
    broker: config.broker as string,
    port: config.port as string,
    tls: config.tls as string,
    mqttUsername: config.mqttUsername as string,
    mqttPassword: config.mqttPassword as string,
    discovery: config.discovery as string,
    discoveryPrefix: config.discoveryPrefix as string,
    interval: config.interval as string,
    dns: config.dns as string,
    // TLS only: resource names (DER files among the manifest's resources), ALPN, the server name.
    ca: config.ca as string,
    cert: config.cert as string,
    key: config.key as string,
    alpn: config.alpn as string,
    serverName: config.serverName as string,
  };
  const device: NetDevice = {
    TCP: TCP as SocketConstructor,
    TLS: TLS as unknown as SocketConstructor<TLSOptions>,
    Resolver: DNS as ResolverConstructor,
    UDP,
    dnsServers: settings.dns.split(",").map((s) => s.trim()).filter((s) => s.length > 0),
    Timer,
    ticks: () => Time.ticks, // 32-bit, wrapping: the connection unwraps it
  };
  // A Resource is a host buffer over the file's bytes in flash (no copy); a name the build lacks throws
  // URIError("Resource not found: <name>"), which deviceConfigFrom turns into an error naming the key.
  const resource = (name: string): DerBytes => new Resource(name) as unknown as DerBytes;
  const appConfig = deviceConfigFrom(settings, makeSensor, wallClock, resource);
  // The board's outbox on flash where the platform has one (store-device-flash.ts: ESP32, the Pico and lin), given to the client.
  const store = openStore((settings.board as BoardSpec & { store?: BoardStoreSpec }).store, () => wallClock() ?? NaN, log);
  if (store !== undefined) appConfig.client = { ...appConfig.client, store };
  const app = new Device(appConfig, device, events);
  running = app;
  log(`mqtt-xs ${settings.deviceId} on ${settings.board.name}: broker ${settings.broker}`);
  app.start();
  return app;
}
