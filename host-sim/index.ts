/**
 * mqtt-xs/sim: the host simulator as a library, for Node. The device modules the firmware runs on
 * (ECMA-419 TCP, TLS, DNS, timer) implemented over Node's sockets, each board on its own simulated
 * network with faults; simulated sensors; boards booted running the device app; and the composed
 * client connected through the host's network in one call.
 */
import { connect as connectOn, describeError, type Mqtt, type MqttOptions } from "../firmware/net/mqtt.js";
import type { NetDevice } from "../firmware/net/device.js";
import { SimNetwork } from "./network.js";
import { simulatedDevice } from "./simulated-device.js";

export { SimNetwork, type NetworkOptions, type NetworkStats } from "./network.js";
export { simulatedDevice } from "./simulated-device.js";
export { SimBMP280, SimSHT3x, type SimSensorOptions } from "./sensors.js";
export { boardNames, loadBoard, type Board } from "./boards.js";
export { bootBoard, simulatedSensors, type BootOptions, type SimulatedBoard } from "./boot.js";

/**
 * The device modules on this host: TCP, TLS, DNS and a timer over Node's, on one simulated network.
 * @param network - the network its sockets belong to (faults injected there reach them); default a new one
 * @returns what MqttConnection and the composed client take as `device`
 */
export function hostDevice(network: SimNetwork = new SimNetwork({ name: "host" })): NetDevice {
  return simulatedDevice(network);
}

/**
 * Connects the composed client to a broker through this host's network (mqtt-xs/net's connect with
 * hostDevice() as the device).
 * @param url - `mqtt://host[:port]` or `mqtts://host[:port]`
 * @param options - the client's options and callbacks; `device` defaults to hostDevice(), `onError` to
 *   printing describeError(code, thrown) on stderr
 * @returns the client, already connecting
 */
export function connect(url: string, options: Omit<MqttOptions, "host" | "port" | "tls" | "websocket" | "device"> & { device?: NetDevice } = {}): Mqtt {
  // Without an onError, what it reports goes to stderr (on a device, to trace): nothing fails unseen.
  const onError = options.onError ?? ((code: number, thrown?: unknown) => console.error(describeError(code, thrown)));
  // socketStage 0 unless asked: V8 resizes an ArrayBuffer in microseconds, so on Node the socket gets views (client/options.ts).
  return connectOn(url, { socketStage: 0, ...options, onError, device: options.device ?? hostDevice() });
}
