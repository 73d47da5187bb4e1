// The Moddable manifests (manifests/*.json, examples/*/manifest.json), checked without the SDK: well-formed
// JSON with the expected sections; every local module path exists after `node scripts/build.mjs` (vitest's
// global set-up builds); every import of every built module resolves, by XS's rule for module names
// (xs/platforms/mc/xsHosts.c fxFindModule: ".js" dropped, "./" and "../" taken against the importing
// module's name), to a module the build includes; our module names are in our own namespace (mqtt-xs/...),
// never in the SDK's mqtt/net; manifest_client.json alone resolves the client and the adapter; every
// config key firmware/main.ts reads is declared; each device manifest's board is its boards/*.json; the
// board's flash store is the module mqtt-xs/store-device, per platform: on ESP32, the Pico and lin the one
// over `flash` (ESP32: the SDK's, whose manifest builds it for esp, esp32 and nrf52 only; Pico and lin: ours,
// firmware/native/, JS class + C), elsewhere the one that opens none; the board's store fits its partition
// and holds its outbox; the native module's host functions are the C's; the npm package ships every file a
// manifest points at.
// Last, the preloaded modules: the SDK's linker (xsl) warns "no const" for a module-level let/var and "not
// frozen" for a mutable object reachable from a module, so neither may be left in any of them.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import ts from "typescript";
import { describe, expect, it, vi } from "vitest";
import type { FlashArea } from "../firmware/mqtt/store/flash-area.js";
import { OutboxStore } from "../firmware/mqtt/store/index.js";
import type { BoardStoreSpec } from "../firmware/store-device.js";

type Manifest = {
  build?: Record<string, string>;
  include?: string[] | string;
  creation?: { main?: string };
  config?: Record<string, unknown>;
  modules?: Record<string, string | string[]>;
  preload?: string[] | string;
  platforms?: Record<string, Manifest & { error?: string }>;
  defines?: { file?: { partition?: string } };
};

// The device module `flash` (the SDK's on ESP32, firmware/native's on the Pico and lin), for importing the
// preloaded store-device-flash.js on Node below: a class with nothing to check.
vi.mock("flash", () => ({ default: class {} }));

const root = process.cwd();
const dir = join(root, "manifests");
const read = (path: string): Manifest => JSON.parse(readFileSync(path, "utf8")) as Manifest;
const list = <T>(value: T[] | T | undefined): T[] => (value === undefined ? [] : ([] as T[]).concat(value));

/** The device manifests, their mcconfig platform, and the board each carries. */
const DEVICES = [
  { file: "manifest_esp32.json", platform: "esp32", board: "esp32_devkit" },
  { file: "manifest_pico_w.json", platform: "pico/pico_w", board: "pico_w" },
  { file: "manifest_lin.json", platform: "lin", board: "esp32_devkit" },
];
const PLATFORMS = DEVICES.map((d) => d.platform);
const EXAMPLES = ["pubsub", "telemetry"];

/**
 * Module names the SDK manifests we include provide (not readable here): the ECMA-419 io manifests
 * (sockets, I2C), manifest_dns.json (the resolver), manifest_base.json (timer, time, Resource), mcconfig itself
 * (mc/config); and, except on lin where we map them to simulations, the drivers we map by name.
 */
const SDK_NAMES = ["embedded:io/socket/tcp", "embedded:io/socket/udp", "embedded:io/i2c", "embedded:network/dns/resolver/udp", "timer", "time", "mc/config", "Resource"];

/**
 * SDK manifests that provide a module on some platforms only, as their "platforms" say (not readable here):
 * $(MODDABLE)/modules/files/flash/manifest.json maps `flash` for esp, esp32 and nrf52, and nothing else.
 */
const SDK_PLATFORM_NAMES: Record<string, Record<string, string[]>> = {
  "$(MODDABLE)/modules/files/flash/manifest.json": { esp: ["flash"], esp32: ["flash"], nrf52: ["flash"] },
};

/** The names a build's SDK includes provide on its platform (mcconfig matches "esp32" for "esp32/<board>" too). */
const sdkNamesFor = (build: Build, platform: string): string[] =>
  build.sdkIncludes.flatMap((include) => SDK_PLATFORM_NAMES[include]?.[platform.split("/")[0]] ?? []);

interface Build {
  build: Record<string, string>;
  config: Record<string, unknown>;
  /** creation.main: the module the runtime loads after set-up (manifest_base.json: "main"). */
  main: string;
  modules: [string, string][];
  preload: string[];
  sdkIncludes: string[];
  /** The local manifests read: this one and its local includes. */
  manifests: string[];
}

/**
 * The block of `platforms` mcconfig takes for a platform (tools/mcmanifest.js matchPlatform): the longest
 * prefix of "pico/pico_w" ("pico/pico_w", then "pico") named exactly or by "<prefix>/*", else "...".
 */
function matchPlatform<T>(platforms: Record<string, T> | undefined, platform: string): T | undefined {
  if (platforms === undefined) return undefined;
  for (let parts = platform.split("/"); parts.length > 0; parts = parts.slice(0, -1)) {
    const partial = parts.join("/");
    for (const [name, block] of Object.entries(platforms)) {
      if (name.endsWith("/*") ? partial.startsWith(name.slice(0, -1)) : name.startsWith("*/") ? partial.endsWith(name.slice(1)) : partial === name) return block;
    }
  }
  return platforms["..."];
}

/** The manifest and its local includes, merged as mcconfig does: includes first, then the includer; config objects merged key by key. */
function merged(path: string, platform: string): Build {
  const out: Build = { build: {}, config: {}, main: "main", modules: [], preload: [], sdkIncludes: [], manifests: [] };
  const seen = new Set<string>();
  const mergeConfig = (target: Record<string, unknown>, source: Record<string, unknown>) => {
    for (const [k, v] of Object.entries(source)) {
      if (v && typeof v === "object" && target[k] && typeof target[k] === "object") mergeConfig(target[k] as Record<string, unknown>, v as Record<string, unknown>);
      else target[k] = structuredClone(v);
    }
  };
  const visit = (path: string) => {
    if (seen.has(path)) return; // mcconfig includes a manifest once
    seen.add(path);
    out.manifests.push(path);
    const manifest = read(path);
    const parts: Manifest[] = [manifest];
    const matched = matchPlatform(manifest.platforms, platform);
    if (matched) {
      expect(matched.error, `${relative(root, path)} must build for ${platform}`).toBeUndefined();
      parts.push(matched);
    }
    for (const part of parts) {
      for (const include of list(part.include)) {
        if (include.startsWith("$(")) out.sdkIncludes.push(include);
        else visit(resolve(dirname(path), include));
      }
    }
    for (const part of parts) {
      Object.assign(out.build, part.build ?? {});
      if (part.creation?.main) out.main = part.creation.main;
      mergeConfig(out.config, part.config ?? {});
      for (const [target, sources] of Object.entries(part.modules ?? {})) {
        for (const source of list(sources)) out.modules.push([target, source.startsWith("$(") ? source : resolve(dirname(path), source)]);
      }
      out.preload.push(...list(part.preload));
    }
  };
  visit(path);
  return out;
}

/** A module source that is C (firmware/native/*.c, compiled into the build), not a JS module. */
const isNative = (source: string): boolean => !existsSync(source + ".js") && existsSync(source + ".c");

/** Module name -> built .js file, expanding "dir/*" targets as mcconfig does (one directory, .js files). */
function moduleFiles(modules: [string, string][]): Map<string, string> {
  const files = new Map<string, string>();
  for (const [target, source] of modules) {
    if (source.startsWith("$(") || isNative(source)) continue;
    if (source.endsWith("/*")) {
      const folder = source.slice(0, -2);
      for (const name of readdirSync(folder).filter((f) => f.endsWith(".js"))) {
        const base = name.slice(0, -3);
        files.set(target === "*" ? base : target.replace(/\*$/, base), join(folder, name));
      }
    } else {
      const name = target === "*" ? source.slice(source.lastIndexOf("/") + 1) : target;
      if (!files.has(name)) files.set(name, source + ".js"); // mcconfig: the first module with a name wins
    }
  }
  return files;
}

/** Every module name of a build: our files, the SDK modules it maps by path, and those its SDK includes provide. */
const namesOf = (modules: [string, string][], files: Map<string, string>, sdk: string[] = SDK_NAMES): Set<string> =>
  new Set([...files.keys(), ...modules.map(([t]) => t).filter((t) => !t.includes("*")), ...sdk]);

/** XS's resolution of an import specifier from module `from` (fxFindModule). */
function resolveSpecifier(from: string, specifier: string): string {
  const name = specifier.replace(/\.m?js$/, "");
  if (!name.startsWith("./") && !name.startsWith("../")) return name;
  const parts = from.split("/").slice(0, -1);
  for (const part of name.split("/")) {
    if (part === "..") parts.pop();
    else if (part !== ".") parts.push(part);
  }
  return parts.join("/");
}

const importsOf = (file: string): string[] =>
  ts.preProcessFile(readFileSync(file, "utf8"), true, true).importedFiles.map((f) => f.fileName);

/** Imports that do not resolve to a module of the build: "name imports specifier -> resolved". */
function unresolvedImports(files: Map<string, string>, names: Set<string>): string[] {
  const unresolved: string[] = [];
  for (const [name, file] of files) {
    for (const specifier of importsOf(file)) {
      const target = resolveSpecifier(name, specifier);
      if (!names.has(target)) unresolved.push(`${name} imports ${specifier} -> ${target}`);
    }
  }
  return unresolved;
}

/** The modules of the build that `from` reaches through its imports. */
function reached(files: Map<string, string>, from: string): Set<string> {
  const seen = new Set<string>();
  const walk = (name: string) => {
    if (seen.has(name) || !files.has(name)) return;
    seen.add(name);
    for (const s of importsOf(files.get(name)!)) walk(resolveSpecifier(name, s));
  };
  walk(from);
  return seen;
}

/** The module names mcconfig preloads for these patterns (tools/mcconfig.js filterPreload: "x/*" is a prefix). */
const preloaded = (names: Iterable<string>, patterns: string[]): string[] =>
  [...names].filter((n) => patterns.some((p) => (p.endsWith("*") ? n.startsWith(p.slice(0, -1)) : n === p)));

/** Names of ours in the SDK's namespaces: its classic `mqtt` and `net` modules (and anything under them). */
const inSdkNamespace = (name: string) => /^(mqtt|net)(\/|$)/.test(name);

function checkLocalPathsExist(build: Build, atLeast: number): void {
  const local = build.modules.filter(([, source]) => !source.startsWith("$("));
  expect(local.length).toBeGreaterThanOrEqual(atLeast);
  for (const [target, source] of local) {
    if (source.endsWith("/*")) {
      const folder = source.slice(0, -2);
      expect(existsSync(folder) && statSync(folder).isDirectory(), `${target}: ${folder}`).toBe(true);
      expect(readdirSync(folder).some((f) => f.endsWith(".js")), `${folder} has modules`).toBe(true);
    } else expect(existsSync(source + ".js") || isNative(source), `${target}: ${source}.js or .c`).toBe(true);
  }
}

/** Our own `flash` (firmware/native/flash.js): the SDK's module name, where the SDK has no such module. */
const NATIVE_FLASH = join(root, "firmware/native/flash.js");

/**
 * Our module names (those of local files): in our namespace, or an example's "main", or a simulated device
 * module, or `flash` (ours on the Pico and lin, under the SDK's name, so one store module serves every platform).
 */
function checkNamespace(build: Build): void {
  const files = moduleFiles(build.modules);
  const ours = [...files.keys()];
  expect(ours.filter(inSdkNamespace)).toEqual([]);
  expect(ours.filter((n) => !n.startsWith("mqtt-xs/") && n !== "main" && !n.startsWith("embedded:") && !(n === "flash" && files.get(n) === NATIVE_FLASH))).toEqual([]);
}

function checkPreloadNames(build: Build): void {
  const names = [...moduleFiles(build.modules).keys(), ...build.modules.map(([t]) => t)];
  for (const p of build.preload) {
    const ok = p.endsWith("*") ? names.some((n) => n.startsWith(p.slice(0, -1))) : names.includes(p);
    expect(ok, `preload ${p}`).toBe(true);
  }
}

describe("Moddable manifests", () => {
  it("every manifest is well-formed JSON: the client alone, the app's common part, one per target; one per example", () => {
    const files = readdirSync(dir).filter((f) => f.endsWith(".json")).sort();
    expect(files).toEqual(["manifest_client.json", "manifest_common.json", ...DEVICES.map((d) => d.file)].sort());
    for (const file of files) expect(() => read(join(dir, file)), file).not.toThrow();
    const examples = readdirSync(join(root, "examples")).filter((d) => statSync(join(root, "examples", d)).isDirectory());
    expect(examples.sort()).toEqual([...EXAMPLES].sort());
    for (const example of examples) expect(() => read(join(root, "examples", example, "manifest.json")), example).not.toThrow();
  });

  describe("manifest_client.json (the client alone)", () => {
    const path = join(dir, "manifest_client.json");
    const build = () => merged(path, "esp32");

    it("has no SDK includes, no config, no platforms: only our modules, all preloaded", () => {
      const manifest = read(path);
      expect(Object.keys(manifest).sort()).toEqual(["modules", "preload"]);
      const { modules, preload } = build();
      expect(modules.every(([t, s]) => t.startsWith("mqtt-xs/") && !s.startsWith("$("))).toBe(true);
      const names = [...moduleFiles(modules).keys()];
      expect(preloaded(names, preload).sort()).toEqual(names.sort());
    });

    it("every local module path exists after the build, and every folder of build/firmware/mqtt and net is mapped", () => {
      const b = build();
      checkLocalPathsExist(b, 7);
      const mapped = new Set(b.modules.filter(([, s]) => s.endsWith("/*")).map(([, s]) => s.slice(0, -2)));
      const folders = (d: string): string[] => [d, ...readdirSync(d).filter((f) => statSync(join(d, f)).isDirectory()).flatMap((f) => folders(join(d, f)))];
      for (const folder of [...folders(join(root, "build/firmware/mqtt")), join(root, "build/firmware/net")]) {
        if (readdirSync(folder).some((f) => f.endsWith(".js"))) expect(mapped.has(folder), relative(root, folder)).toBe(true);
      }
    });

    it("alone, without the app or any SDK module, resolves every import of the client and the adapter", () => {
      const { modules } = build();
      const files = moduleFiles(modules);
      expect(unresolvedImports(files, namesOf(modules, files, []))).toEqual([]);
      expect([...files.keys()].filter((n) => /app|telemetry|config|main/.test(n))).toEqual([]);
      const client = reached(files, "mqtt-xs/client");
      expect([...client]).toEqual(expect.arrayContaining(["mqtt-xs/mqtt/index", "mqtt-xs/mqtt/client/client", "mqtt-xs/mqtt/codec/decode"]));
      expect([...reached(files, "mqtt-xs/net")]).toEqual(expect.arrayContaining(["mqtt-xs/net/index", "mqtt-xs/net/connection", "mqtt-xs/mqtt/index"]));
    });

    it("names are ours: mqtt-xs/client and mqtt-xs/net, and the rest mirroring build/firmware (so relative imports resolve)", () => {
      const b = build();
      checkNamespace(b);
      const files = moduleFiles(b.modules);
      expect(files.get("mqtt-xs/client")).toBe(join(dir, "entries/client.js"));
      expect(files.get("mqtt-xs/net")).toBe(join(dir, "entries/net.js"));
      for (const [name, file] of files) {
        if (name === "mqtt-xs/client" || name === "mqtt-xs/net") continue;
        expect(relative(join(root, "build/firmware"), file), name).toBe(name.slice("mqtt-xs/".length) + ".js");
      }
    });

    it("mqtt-xs/client and mqtt-xs/net export what the public entries export", async () => {
      const index = await import(pathToFileURL(join(root, "build/firmware/mqtt/index.js")).href);
      expect(Object.keys(index)).toEqual(expect.arrayContaining(["MqttClient", "errorMessage", "DisconnectReason", "ClientState"]));
      expect(importsOf(join(dir, "entries/client.js"))).toEqual(["mqtt-xs/mqtt/index"]);
      expect(importsOf(join(dir, "entries/net.js"))).toEqual(["mqtt-xs/net/index"]);
    });
  });

  it("the app's common part includes manifest_client.json and maps only the app's modules, under mqtt-xs/, with mqtt-xs/main as the runtime's main", () => {
    const common = read(join(dir, "manifest_common.json"));
    expect(common.include).toEqual(expect.arrayContaining(["$(MODDABLE)/examples/manifest_base.json", "$(MODDABLE)/examples/io/udp/dns/manifest_dns.json", "./manifest_client.json"]));
    expect(Object.keys(common.config ?? {})).toEqual(expect.arrayContaining(["ssid", "password", "broker", "port", "deviceId", "mqttUsername", "mqttPassword"]));
    expect(common.creation?.main).toBe("mqtt-xs/main");
    expect(Object.keys(common.modules ?? {}).filter((k) => !k.startsWith("embedded:"))).toEqual(["mqtt-xs/main", "mqtt-xs/app", "mqtt-xs/config", "mqtt-xs/telemetry/*"]);
    expect(common.preload).toEqual(expect.arrayContaining(["mqtt-xs/app", "mqtt-xs/config", "mqtt-xs/telemetry/*"]));
    expect(common.preload).not.toContain("mqtt-xs/main");
  });

  for (const device of DEVICES) {
    describe(device.file, () => {
      const build = () => merged(join(dir, device.file), device.platform);

      it(`includes the common part and the SDK's io and network manifests for ${device.platform}`, () => {
        const manifest = read(join(dir, device.file));
        expect(list(manifest.include)[0]).toBe("./manifest_common.json");
        expect(Object.keys(manifest.platforms ?? {})).toEqual([device.platform, "..."]);
        const sdk = build().sdkIncludes;
        const io = { esp32: "esp32/manifest.json", "pico/pico_w": "pico/manifest_net.json", lin: "lin/manifest.json" }[device.platform];
        expect(sdk).toContain(`$(MODDABLE)/modules/io/manifests/${io}`);
        expect(build().build.NAME).toBe("mqtt-xs"); // mcconfig's output name; by default the manifest's folder, "manifests"
      });

      it("every local module path exists after the build", () => checkLocalPathsExist(build(), 6));

      it("every import of every built module resolves to a module of the build (XS's naming rule)", () => {
        const b = build();
        const { modules, main } = b;
        const files = moduleFiles(modules);
        expect(unresolvedImports(files, namesOf(modules, files, [...SDK_NAMES, ...sdkNamesFor(b, device.platform)]))).toEqual([]);
        expect(main).toBe("mqtt-xs/main");
        expect(files.get(main)).toMatch(/build\/firmware\/main\.js$/);
        // Every firmware module main.js reaches is in the build.
        expect([...reached(files, main)]).toEqual(
          expect.arrayContaining(["mqtt-xs/app", "mqtt-xs/mqtt/index", "mqtt-xs/mqtt/client/client", "mqtt-xs/net/connection", "mqtt-xs/telemetry/telemetry", "mqtt-xs/telemetry/scheduler"]),
        );
      });

      it("no name of ours is in the SDK's mqtt or net namespace", () => checkNamespace(build()));

      const esp32 = device.platform === "esp32";
      it(
        esp32
          ? "the board's store: mqtt-xs/store-device opens it with the SDK's flash module (its manifest included for esp32)"
          : "the board's store: mqtt-xs/store-device opens it with our flash module (firmware/native: flash.js and the platform's C)",
        () => {
          const b = build();
          const files = moduleFiles(b.modules);
          const flashManifest = "$(MODDABLE)/modules/files/flash/manifest.json";
          expect(files.get("mqtt-xs/store-device")).toBe(join(root, "build/firmware/store-device-flash.js"));
          expect(b.sdkIncludes.includes(flashManifest)).toBe(esp32);
          expect(sdkNamesFor(b, device.platform).includes("flash")).toBe(esp32);
          // `flash`: the SDK's on ESP32; ours elsewhere, with its C (the shared binding and the platform's).
          expect(files.get("flash")).toBe(esp32 ? undefined : NATIVE_FLASH);
          const native = b.modules.filter(([, s]) => isNative(s)).map(([, s]) => relative(root, s) + ".c");
          const platformFile = { esp32: [], "pico/pico_w": ["firmware/native/pico/mqttxs_flash_pico.c"], lin: ["firmware/native/lin/mqttxs_flash_lin.c"] }[device.platform];
          expect(native.sort()).toEqual(esp32 ? [] : ["firmware/native/mqttxs_flash.c", ...platformFile!].sort());
          expect(namesOf(b.modules, files, [...SDK_NAMES, ...sdkNamesFor(b, device.platform)]).has("flash")).toBe(true);
          const fromMain = reached(files, "mqtt-xs/main");
          expect(fromMain.has("mqtt-xs/store-device")).toBe(true);
          for (const name of ["mqtt-xs/store-flash", "mqtt-xs/mqtt/store/store", "mqtt-xs/mqtt/store/log"]) expect(fromMain.has(name), name).toBe(true);
          expect(importsOf(files.get("mqtt-xs/store-device")!)).toContain("flash");
          expect(preloaded(files.keys(), b.preload)).toEqual(expect.arrayContaining(["mqtt-xs/store-device", "mqtt-xs/store-flash", ...(esp32 ? [] : ["flash"])]));
          expect(readFileSync("firmware/main.ts", "utf8")).toMatch(/openStore\(\(settings\.board as [^)]*\)\.store,/);
        },
      );

      it("the board's store fits the platform's partition, in whole sectors, and holds the board's outbox", () => {
        const b = build();
        const board = b.config.board as { store?: BoardStoreSpec; client: { transmitBufferSize: number; queueSlots: number; inflight: number } };
        const store = board.store!;
        expect(store, "the board has a store").toBeDefined();
        expect(store.partition).toBe("storage");
        const sectorSize = store.sectorSize ?? 4096;
        expect(sectorSize).toBe(4096); // SPI_FLASH_SEC_SIZE on ESP32, FLASH_SECTOR_SIZE on RP2040, MQTTXS_FLASH_SECTOR_SIZE on lin
        expect(store.size % sectorSize).toBe(0);
        // ESP32: the SDK's default partitions.csv has no data partition but nvs; defines.file.partition
        // makes mcconfig add one of that name, 0x10000 bytes, cut from the factory app partition
        // (tools/mcmanifest.js: wantsStorage, STORAGE_SIZE), unless the table already has it.
        // Pico: the SDK's storage area, MODDEF_FILE_LFS_PARTITION_SIZE (xs/platforms/pico/xsHost.c: 65,536 unless
        // the manifest's defines.file.lfs.partition.size says otherwise); lin: the same define (mqttxs_flash_lin.c).
        const common = read(join(dir, "manifest_common.json"));
        const block = matchPlatform(common.platforms, device.platform) as Manifest & { defines?: { file?: { lfs?: { partition?: { size?: number } } } } };
        if (esp32) expect(block.defines?.file?.partition).toBe("#" + store.partition);
        const partitionSize = esp32 ? 0x10000 : (block.defines?.file?.lfs?.partition?.size ?? 65536);
        expect(store.size).toBeLessThanOrEqual(partitionSize);
        if (!esp32) expect(readFileSync("firmware/native/lin/mqttxs_flash_lin.c", "utf8")).toMatch(/#define MODDEF_FILE_LFS_PARTITION_SIZE \(65536\)/);
        // The store takes the board's outbox (OutboxStore.attach refuses a flash too small for it).
        const bytes = new Uint8Array(store.size).fill(0xff);
        const flash: FlashArea = {
          size: store.size,
          sectorSize,
          read: (offset, into, at, length) => into.set(bytes.subarray(offset, offset + length), at),
          write: (offset, from, at, length) => bytes.set(from.subarray(at, at + length), offset),
          erase: (sector) => bytes.fill(0xff, sector * sectorSize, (sector + 1) * sectorSize),
        };
        const outboxStore = new OutboxStore({ flash });
        expect(() => outboxStore.attach(board.client.transmitBufferSize, board.client.queueSlots, board.client.inflight, 4)).not.toThrow();
      });

      it("every preloaded name is a module of the build", () => checkPreloadNames(build()));

      it("declares every config key firmware/main.ts reads, and Wi-Fi's", () => {
        const main = readFileSync("firmware/main.ts", "utf8");
        const keys = [...new Set([...main.matchAll(/(?<![/.])\bconfig\.(?!js\b)(\w+)/g)].map((m) => m[1]))]; // not "./config.js"
        expect(keys.length).toBeGreaterThanOrEqual(10);
        const { config } = build();
        for (const key of [...keys, "ssid", "password", "sntp"]) expect(config, `config.${key}`).toHaveProperty(key);
        expect(config.deviceId).not.toBe("");
      });

      it(`carries boards/${device.board}.json as its board`, () => {
        expect(build().config.board).toEqual(JSON.parse(readFileSync(`boards/${device.board}.json`, "utf8")));
      });
    });
  }

  it("a platform with no flash module of ours or the SDK's (mac) gets the store-device that opens none", () => {
    const b = merged(join(dir, "manifest_common.json"), "mac");
    const files = moduleFiles(b.modules);
    expect(files.get("mqtt-xs/store-device")).toBe(join(root, "build/firmware/store-device.js"));
    expect(files.has("flash")).toBe(false);
    expect(importsOf(files.get("mqtt-xs/store-device")!)).not.toContain("flash");
  });

  describe("firmware/native (our flash module for the Pico and lin)", () => {
    const native = join(root, "firmware/native");
    const text = (path: string) => readFileSync(join(native, path), "utf8");

    it("maps `flash` and its C for pico and lin only (esp32 has the SDK's)", () => {
      const manifest = read(join(native, "manifest.json"));
      expect(Object.keys(manifest.platforms ?? {}).sort()).toEqual(["lin", "pico"]);
      for (const platform of ["pico", "lin"]) {
        const b = merged(join(native, "manifest.json"), platform);
        checkLocalPathsExist(b, 3);
        expect(moduleFiles(b.modules).get("flash")).toBe(NATIVE_FLASH);
        expect(b.modules.filter(([, s]) => isNative(s)).map(([, s]) => relative(native, s)).sort()).toEqual(["mqttxs_flash", `${platform}/mqttxs_flash_${platform}`].sort());
        expect(b.preload).toEqual(["flash"]);
      }
      expect(merged(join(native, "manifest.json"), "esp32").modules).toEqual([]);
    });

    it("every host function flash.js names is defined in mqttxs_flash.c, and nothing else is exported there", () => {
      const hosts = [...text("flash.js").matchAll(/@\s*"(\w+)"/g)].map((m) => m[1]);
      expect(hosts.sort()).toEqual(["xs_mqttxs_flash", "xs_mqttxs_flash_blockSize", "xs_mqttxs_flash_byteLength", "xs_mqttxs_flash_destructor", "xs_mqttxs_flash_erase", "xs_mqttxs_flash_read", "xs_mqttxs_flash_write"]);
      const c = text("mqttxs_flash.c");
      const defined = [...c.matchAll(/^void (\w+)\((xsMachine \*the|void \*data)\)$/gm)].map((m) => m[1]);
      expect(defined.sort()).toEqual(hosts.sort());
      expect(c).toMatch(/^void xs_mqttxs_flash_destructor\(void \*data\)$/m);
    });

    it("each platform file defines the four functions mqttxs_flash.h declares, for the partition \"storage\" only", () => {
      const declared = [...text("mqttxs_flash.h").matchAll(/^const char \*(mqttxs_flash_platform_\w+)\(/gm)].map((m) => m[1]);
      expect(declared.sort()).toEqual(["mqttxs_flash_platform_erase", "mqttxs_flash_platform_open", "mqttxs_flash_platform_read", "mqttxs_flash_platform_write"]);
      for (const file of ["pico/mqttxs_flash_pico.c", "lin/mqttxs_flash_lin.c"]) {
        const c = text(file);
        expect([...c.matchAll(/^const char \*(mqttxs_flash_platform_\w+)\(/gm)].map((m) => m[1]).sort(), file).toEqual(declared.sort());
        expect(c, file).toMatch(/strcmp\(name, "storage"\)/);
      }
      // The Pico's is the SDK's storage area, through the SDK's own flash routines.
      expect(text("pico/mqttxs_flash_pico.c")).toMatch(/modGetPartition\(kPartitionStorage, /);
      for (const call of ["modSPIRead(", "modSPIWrite(", "modSPIErase("]) expect(text("pico/mqttxs_flash_pico.c")).toContain(call);
    });
  });

  describe("the npm package", () => {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { files: string[] };
    const shipped = (path: string) => pkg.files.some((f) => relative(join(root, f), path) === "" || !relative(join(root, f), path).startsWith(".."));

    it("ships firmware/native (the manifests point at it)", () => {
      expect(pkg.files).toContain("firmware/native");
      for (const file of ["flash.js", "manifest.json", "mqttxs_flash.h", "mqttxs_flash.c", "pico/mqttxs_flash_pico.c", "lin/mqttxs_flash_lin.c"]) {
        expect(existsSync(join(root, "firmware/native", file)), file).toBe(true);
        expect(shipped(join(root, "firmware/native", file)), file).toBe(true);
      }
    });

    it("ships every local file any manifest of a device or example points at, on every platform", () => {
      const manifests = [...DEVICES.map((d) => join(dir, d.file)), join(dir, "manifest_client.json"), ...EXAMPLES.map((e) => join(root, "examples", e, "manifest.json"))];
      let checked = 0;
      for (const manifest of manifests) {
        for (const platform of PLATFORMS) {
          if (DEVICES.some((d) => join(dir, d.file) === manifest && d.platform !== platform)) continue;
          const b = merged(manifest, platform);
          for (const path of b.manifests) expect(shipped(path), `${relative(root, path)}`).toBe(true);
          for (const [, source] of b.modules) {
            if (source.startsWith("$(")) continue;
            const file = source.endsWith("/*") ? source.slice(0, -2) : isNative(source) ? source + ".c" : source + ".js";
            expect(shipped(file), `${relative(root, manifest)} (${platform}): ${relative(root, file)}`).toBe(true);
            checked++;
          }
        }
      }
      expect(checked).toBeGreaterThan(100);
    });
  });

  describe("examples", () => {
    const examplePath = (name: string) => join(root, "examples", name, "manifest.json");

    it("pubsub includes the client with one line (manifest_client.json), beside the SDK's", () => {
      const manifest = read(examplePath("pubsub"));
      expect(list(manifest.include).filter((i) => !i.startsWith("$("))).toEqual(["../../manifests/manifest_client.json"]);
      expect(manifest.modules).toEqual({ "*": "./main" });
    });

    it("telemetry is the app's device manifest for each platform", () => {
      const manifest = read(examplePath("telemetry"));
      for (const device of DEVICES) expect(list(manifest.platforms?.[device.platform]?.include)).toEqual([`../../manifests/${device.file}`]);
      expect(manifest.platforms?.["..."]?.error).toBeTruthy();
    });

    for (const example of EXAMPLES) {
      for (const platform of PLATFORMS) {
        it(`${example} on ${platform}: paths exist, every import resolves, names are ours, preloads exist`, () => {
          const build = merged(examplePath(example), platform);
          checkLocalPathsExist(build, 7);
          const files = moduleFiles(build.modules);
          expect(unresolvedImports(files, namesOf(build.modules, files, [...SDK_NAMES, ...sdkNamesFor(build, platform)]))).toEqual([]);
          expect(files.has(build.main), `main module ${build.main}`).toBe(true);
          checkNamespace(build);
          checkPreloadNames(build);
          const io = { esp32: "esp32/manifest.json", "pico/pico_w": "pico/manifest_net.json", lin: "lin/manifest.json" }[platform];
          expect(build.sdkIncludes).toContain(`$(MODDABLE)/modules/io/manifests/${io}`);
        });
      }
    }

    it("pubsub's main imports from mqtt-xs/client and mqtt-xs/net only names they export", async () => {
      const text = readFileSync(join(root, "examples/pubsub/main.js"), "utf8");
      const entries = { "mqtt-xs/client": "build/firmware/mqtt/index.js", "mqtt-xs/net": "build/firmware/net/index.js" };
      for (const [specifier, file] of Object.entries(entries)) {
        const m = new RegExp(`import\\s*\\{([^}]*)\\}\\s*from\\s*"${specifier}"`).exec(text);
        expect(m, `main.js imports from ${specifier}`).not.toBeNull();
        const exported = Object.keys(await import(pathToFileURL(join(root, file)).href));
        for (const name of m![1].split(",").map((s) => s.trim()).filter(Boolean)) expect(exported, `${specifier} exports ${name}`).toContain(name);
      }
    });
  });

  describe("preloaded modules are const and frozen (xsl's \"no const\" and \"not frozen\")", () => {
    /** Every local module any device build preloads: name -> file. */
    const preloadedFiles = (): Map<string, string> => {
      const out = new Map<string, string>();
      for (const device of DEVICES) {
        const build = merged(join(dir, device.file), device.platform);
        const files = moduleFiles(build.modules);
        for (const name of preloaded(files.keys(), build.preload)) out.set(name, files.get(name)!);
      }
      return out;
    };

    it("preloads the client, the adapter and the app, but not main", () => {
      const names = [...preloadedFiles().keys()];
      expect(names.length).toBeGreaterThanOrEqual(50);
      expect(names).toEqual(expect.arrayContaining(["mqtt-xs/client", "mqtt-xs/net", "mqtt-xs/mqtt/codec/packet", "mqtt-xs/mqtt/client/errors", "mqtt-xs/app", "mqtt-xs/telemetry/kinds"]));
      expect(names).not.toContain("mqtt-xs/main");
    });

    /** Constructors whose instances XS preloads without aliasing them (immutable in flash): not "not frozen". */
    const IMMUTABLE_WHEN_PRELOADED = /^(Uint8Array|Uint16Array|Uint32Array|Int8Array|Int16Array|Int32Array|Float32Array|Float64Array|DataView|ArrayBuffer|RegExp)$/;

    /** What xsl would warn about in this built module's top level, read from its text. */
    function moduleLevelProblems(file: string): string[] {
      const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true, ts.ScriptKind.JS);
      const problems: string[] = [];
      /** An object or array literal must be the argument of Object.freeze, and so must every one inside it. */
      const check = (node: ts.Expression, where: string, frozen: boolean): void => {
        while (ts.isParenthesizedExpression(node)) node = node.expression;
        if (ts.isObjectLiteralExpression(node) || ts.isArrayLiteralExpression(node)) {
          if (!frozen) problems.push(`${where}: not frozen`);
          const values = ts.isArrayLiteralExpression(node)
            ? node.elements
            : node.properties.flatMap((p) => (ts.isPropertyAssignment(p) ? [p.initializer] : []));
          values.forEach((v, i) => check(v as ts.Expression, `${where}[${i}]`, false));
        } else if (ts.isCallExpression(node) && node.expression.getText() === "Object.freeze" && node.arguments.length > 0) {
          check(node.arguments[0], where, true);
        } else if (ts.isNewExpression(node) && !IMMUTABLE_WHEN_PRELOADED.test(node.expression.getText())) {
          problems.push(`${where}: new ${node.expression.getText()} (mutable)`);
        }
      };
      for (const statement of source.statements) {
        if (!ts.isVariableStatement(statement)) continue;
        const list = statement.declarationList;
        const names = list.declarations.map((d) => d.name.getText()).join(", ");
        if (!(list.flags & ts.NodeFlags.Const)) problems.push(`${names}: no const (${list.flags & ts.NodeFlags.Let ? "let" : "var"})`);
        for (const d of list.declarations) if (d.initializer) check(d.initializer, d.name.getText(), false);
      }
      return problems;
    }

    /** Exported objects not frozen, to the leaves (functions are frozen by the linker; typed arrays and RegExps are not aliased). */
    function unfrozenExports(namespace: Record<string, unknown>): string[] {
      const found: string[] = [];
      const seen = new Set<object>();
      const walk = (value: unknown, path: string) => {
        if (value === null || typeof value !== "object" || seen.has(value)) return;
        seen.add(value);
        if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof RegExp) return;
        if (!Object.isFrozen(value)) found.push(path);
        for (const key of Object.getOwnPropertyNames(value)) {
          const descriptor = Object.getOwnPropertyDescriptor(value, key)!;
          if ("value" in descriptor) walk(descriptor.value, `${path}.${key}`);
        }
      };
      for (const [key, value] of Object.entries(namespace)) walk(value, key);
      return found;
    }

    it("no module-level let or var, and every module-level object or array literal frozen, to the leaves", () => {
      const problems: string[] = [];
      for (const [name, file] of preloadedFiles()) for (const p of moduleLevelProblems(file)) problems.push(`${name}: ${p}`);
      expect(problems).toEqual([]);
    });

    it("every exported table and enum is frozen (imported and walked)", async () => {
      const problems: string[] = [];
      let tables = 0;
      for (const [name, file] of preloadedFiles()) {
        if (!file.startsWith(join(root, "build"))) continue; // the entries re-export these
        const namespace = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
        tables += Object.values(namespace).filter((v) => v !== null && typeof v === "object").length;
        for (const p of unfrozenExports(namespace)) problems.push(`${name}: ${p}`);
      }
      expect(problems).toEqual([]);
      expect(tables).toBeGreaterThanOrEqual(10); // the enums (DisconnectReason, ClientError, PacketType, ...) and tables
    });

    it("the checks catch what xsl warns about", () => {
      const file = join(root, "build", "frozen-probe.js");
      const probe = "let a = 1;\nvar b = 2;\nconst c = [1];\nconst d = Object.freeze({ e: { f: 1 } });\nconst g = Object.freeze([Object.freeze({})]);\nconst h = new Map();\nconst i = new Uint8Array(0);\n";
      try {
        ts.sys.writeFile(file, probe);
        expect(moduleLevelProblems(file)).toEqual(["a: no const (let)", "b: no const (var)", "c: not frozen", "d[0]: not frozen", "h: new Map (mutable)"]);
      } finally {
        ts.sys.deleteFile?.(file);
      }
      expect(unfrozenExports({ x: Object.freeze({ y: {} }), z: Object.freeze([1]), t: new Uint8Array(2) })).toEqual(["x.y"]);
    });
  });
});
