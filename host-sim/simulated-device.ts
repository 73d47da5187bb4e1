/**
 * A simulated board's device modules as the firmware's network adapter takes them (firmware/net/device.ts):
 * the host-sim implementations of TCP, TLS, the DNS resolver and the timer, with every socket and DNS
 * request bound to this board's simulated network, so faults injected there reach this board only.
 */
import type { NetDevice, ResolverConstructor, SocketConstructor, TLSOptions } from "../firmware/net/device.js";
import Resolver from "./device/dns.js";
import TCP from "./device/tcp.js";
import Time from "./device/time.js";
import Timer from "./device/timer.js";
import TLS from "./device/tls.js";
import UDP from "./device/udp.js";
import { runOnNetwork, type SimNetwork } from "./network.js";

/** A constructor whose instances are made on `network`. */
function on<T extends new (options: never) => object>(network: SimNetwork, Class: T): T {
  return function (options: ConstructorParameters<T>[0]) {
    return runOnNetwork(network, () => new Class(options));
  } as unknown as T;
}

export function simulatedDevice(network: SimNetwork): NetDevice {
  return {
    TCP: on(network, TCP as unknown as SocketConstructor),
    TLS: on(network, TLS as unknown as SocketConstructor<TLSOptions>),
    Resolver: on(network, Resolver as unknown as ResolverConstructor),
    UDP: on(network, UDP as unknown as new (options: never) => object),
    // Answered from the host's resolver (node:dns): the addresses only satisfy the SDK's constructor.
    dnsServers: ["8.8.8.8", "1.1.1.1"],
    Timer,
    ticks: () => Time.ticks, // 32-bit and wrapping, as on a device

  };
}
