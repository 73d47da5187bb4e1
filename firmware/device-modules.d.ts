/**
 * The device modules firmware/main.ts imports, by the names the Moddable SDK gives them, with the shapes
 * this firmware uses (ECMA-419 as Moddable implements it; see ../shared/XS-NOTES.md). They exist only in
 * an mcconfig build (manifests/) and, for tests, as host-sim/ implementations; these declarations let
 * main.ts type-check here. (Ambient modules cannot import relative paths, so the shapes are spelled out;
 * main.ts checks them against firmware/net/device.ts where it passes them on.)
 */

/** Moddable's log function (xsbug / serial); absent on Node. */
declare var trace: ((text: string) => void) | undefined;

/** A socket's options and instance, as firmware/net/device.ts has them. */
interface DeviceSocketOptions {
  address: string;
  port: number;
  nodelay?: boolean;
  format?: "buffer" | "number";
  onReadable?: (count: number) => void;
  onWritable?: (count: number) => void;
  onError?: () => void;
}
interface DeviceSocket {
  read(buffer?: ArrayBuffer | ArrayBufferView): ArrayBuffer | number | undefined;
  write(data: ArrayBuffer | ArrayBufferView): void;
  close(): void;
}

declare module "mc/config" {
  /** The manifest's config (and mcconfig key=value overrides); firmware/config.ts's McConfig. */
  const config: Record<string, unknown>;
  export default config;
}

declare module "embedded:io/socket/tcp" {
  const TCP: new (options: DeviceSocketOptions) => DeviceSocket;
  export default TCP;
}

declare module "embedded:io/socket/tcp/tls" {
  /** A TCP socket's options plus `host`, `secure` and `TCP: {io: TCP}`. */
  const TLS: new (options: DeviceSocketOptions & { host?: string; secure?: Record<string, unknown>; TCP: { io: unknown } }) => DeviceSocket;
  export default TLS;
}

declare module "embedded:io/socket/udp" {
  const UDP: new (options: Record<string, unknown>) => { close(): void };
  export default UDP;
}

declare module "embedded:network/dns/resolver/udp" {
  /** `socket: {io: UDP}` and `servers` are required. */
  const Resolver: new (options: { socket: { io: unknown }; servers: string[] }) => {
    resolve(request: { host: string; onResolved: (host: string, address: string) => void; onError: (host: string) => void }): void;
    close(): void;
  };
  export default Resolver;
}

declare module "embedded:io/i2c" {
  const I2C: new (options: { data: number; clock: number; hz: number; address: number; port?: number }) => {
    read(buffer: ArrayBufferView | number): unknown;
    write(buffer: ArrayBufferView): void;
    close(): void;
  };
  export default I2C;
}

/** `sensor`: the I2C options with `io` (ECMA-419 sensor class pattern); sample() returns a new object. */
declare module "embedded:sensor/Humidity-Temperature/SHT3x" {
  const SHT3x: new (options: { sensor: Record<string, unknown> }) => {
    sample(): { thermometer: { temperature?: number }; hygrometer: { humidity?: number } };
    close(): void;
  };
  export default SHT3x;
}

declare module "embedded:sensor/Barometer-Temperature/BMP280" {
  const BMP280: new (options: { sensor: Record<string, unknown> }) => {
    sample(): { barometer: { pressure: number }; thermometer: { temperature: number } };
    close(): void;
  };
  export default BMP280;
}

declare module "timer" {
  const Timer: {
    set(callback: (timer: unknown) => void, interval?: number, repeat?: number): unknown;
    schedule(timer: unknown, interval?: number, repeat?: number): void;
    clear(timer: unknown): void;
  };
  export default Timer;
}

declare module "time" {
  /** ticks: ms since boot, 32-bit signed (wraps after 24.8 days). */
  const Time: { readonly ticks: number };
  export default Time;
}

declare module "Resource" {
  /**
   * The SDK's Resource (modules/files/resource, in manifest_base.json): `new Resource(name)` is a read-only
   * host buffer over the bytes of a file the manifest's `resources` put in the build (no copy: in flash);
   * a Uint8Array can view it. A name the build lacks throws URIError("Resource not found: <name>").
   */
  class Resource {
    constructor(name: string);
    static exists(name: string): boolean;
    readonly byteLength: number;
    /** A copy of bytes begin..end as an ArrayBuffer (copy false: a host buffer over them instead). */
    slice(begin: number, end?: number, copy?: boolean): ArrayBuffer;
  }
  export default Resource;
}

declare module "flash" {
  /**
   * The SDK's legacy flash module (modules/files/flash; ESP32, ESP8266, nRF52 only): `new Flash(name)` opens
   * a data partition by name (ESP32: esp_partition_find_first; "can't find partition" if none). Offsets
   * and sectors are the partition's; read returns a new ArrayBuffer; write takes a byte count and writes
   * from the start of the buffer; errors throw "read failed", "write failed", "erase failed". On the Pico
   * and lin, where the SDK has none, it is ours (firmware/native/flash.js): the same class over the SDK's
   * storage area (Pico) or a file (lin); a wrong argument throws a TypeError or RangeError with words.
   */
  class Flash {
    constructor(partition: string);
    read(offset: number, byteLength: number): ArrayBuffer;
    write(offset: number, byteLength: number, buffer: ArrayBuffer): void;
    erase(sector: number): void;
    readonly byteLength: number;
    /** The erase sector: SPI_FLASH_SEC_SIZE (4,096) on ESP32. */
    readonly blockSize: number;
  }
  export default Flash;
}
