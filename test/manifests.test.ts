// The Moddable manifests (manifests/*.json), checked without the SDK: well-formed JSON with the expected
// sections; every local module path exists after `node scripts/build.mjs`; every import of every built
// module resolves, by XS's rule for module names (xs/platforms/mc/xsHosts.c fxFindModule: ".js" dropped,
// "./" and "../" taken against the importing module's name), to a module the build includes; every
// config key firmware/main.ts reads is declared; each manifest's board is its boards/*.json.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";

type Manifest = {
  include?: string[];
  config?: Record<string, unknown>;
  modules?: Record<string, string | string[]>;
  preload?: string[];
  platforms?: Record<string, Manifest & { error?: string }>;
};

const root = process.cwd();
const dir = join(root, "manifests");
const read = (path: string): Manifest => JSON.parse(readFileSync(path, "utf8")) as Manifest;

/** The device manifests, their mcconfig platform, and the board each carries. */
const DEVICES = [
  { file: "manifest_esp32.json", platform: "esp32", board: "esp32_devkit" },
  { file: "manifest_pico_w.json", platform: "pico/pico_w", board: "pico_w" },
  { file: "manifest_lin.json", platform: "lin", board: "esp32_devkit" },
];

/**
 * Module names the SDK manifests we include provide (not readable here): the ECMA-419 io manifests
 * (sockets, I2C), manifest_dns.json (the resolver), manifest_base.json (timer, time), mcconfig itself
 * (mc/config); and, except on lin where we map them to simulations, the drivers we map by name.
 */
const SDK_NAMES = ["embedded:io/socket/tcp", "embedded:io/socket/udp", "embedded:io/i2c", "embedded:network/dns/resolver/udp", "timer", "time", "mc/config"];

/** The manifest and its local includes, merged as mcconfig does: includes first, then the includer; config objects merged key by key. */
function merged(file: string, platform: string): { config: Record<string, unknown>; modules: [string, string][]; preload: string[]; sdkIncludes: string[] } {
  const out = { config: {} as Record<string, unknown>, modules: [] as [string, string][], preload: [] as string[], sdkIncludes: [] as string[] };
  const mergeConfig = (target: Record<string, unknown>, source: Record<string, unknown>) => {
    for (const [k, v] of Object.entries(source)) {
      if (v && typeof v === "object" && target[k] && typeof target[k] === "object") mergeConfig(target[k] as Record<string, unknown>, v as Record<string, unknown>);
      else target[k] = structuredClone(v);
    }
  };
  const visit = (path: string) => {
    const manifest = read(path);
    const parts: Manifest[] = [manifest];
    const matched = manifest.platforms?.[platform] ?? manifest.platforms?.["..."];
    if (matched) {
      expect(matched.error, `${path} must build for ${platform}`).toBeUndefined();
      parts.push(matched);
    }
    for (const part of parts) {
      for (const include of part.include ?? []) {
        if (include.startsWith("$(")) out.sdkIncludes.push(include);
        else visit(resolve(dirname(path), include));
      }
    }
    for (const part of parts) {
      mergeConfig(out.config, part.config ?? {});
      for (const [target, sources] of Object.entries(part.modules ?? {})) {
        for (const source of ([] as string[]).concat(sources)) out.modules.push([target, source.startsWith("$(") ? source : resolve(dirname(path), source)]);
      }
      out.preload.push(...(part.preload ?? []));
    }
  };
  visit(join(dir, file));
  return out;
}

/** Module name -> built .js file, expanding "dir/*" targets as mcconfig does (one directory, .js files). */
function moduleFiles(modules: [string, string][]): Map<string, string> {
  const files = new Map<string, string>();
  for (const [target, source] of modules) {
    if (source.startsWith("$(")) continue;
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

const importsOf = (file: string): string[] => [...readFileSync(file, "utf8").matchAll(/(?:^|\n)\s*(?:import|export)\b[^"';]*?["']([^"']+)["']/g)].map((m) => m[1]);

describe("Moddable manifests", () => {
  beforeAll(() => {
    execFileSync(process.execPath, ["scripts/build.mjs", "--quiet"], { cwd: root, stdio: "inherit" });
  });

  it("every manifest is well-formed JSON; there is one per target plus the common part", () => {
    const files = readdirSync(dir).filter((f) => f.endsWith(".json")).sort();
    expect(files).toEqual(["manifest_common.json", ...DEVICES.map((d) => d.file)].sort());
    for (const file of files) expect(() => read(join(dir, file)), file).not.toThrow();
  });

  it("the common manifest has the sections a build needs: SDK includes, config, the built modules, preload", () => {
    const common = read(join(dir, "manifest_common.json"));
    expect(common.include).toEqual(expect.arrayContaining(["$(MODDABLE)/examples/manifest_base.json", "$(MODDABLE)/examples/io/udp/dns/manifest_dns.json"]));
    expect(Object.keys(common.config ?? {})).toEqual(expect.arrayContaining(["ssid", "password", "broker", "port", "deviceId", "mqttUsername", "mqttPassword"]));
    expect(Object.values(common.modules ?? {}).flat().filter((p) => p.startsWith("../build/firmware/"))).toHaveLength(9);
    expect(common.preload).toEqual(expect.arrayContaining(["mqtt/*", "mqtt/codec/*", "mqtt/codec/packets/*", "mqtt/client/*", "net/*", "telemetry/*"]));
  });

  for (const device of DEVICES) {
    describe(device.file, () => {
      const build = () => merged(device.file, device.platform);

      it(`includes the common part and the SDK's io and network manifests for ${device.platform}`, () => {
        const manifest = read(join(dir, device.file));
        expect(manifest.include?.[0]).toBe("./manifest_common.json");
        expect(Object.keys(manifest.platforms ?? {})).toEqual([device.platform, "..."]);
        const sdk = build().sdkIncludes;
        const io = { esp32: "esp32/manifest.json", "pico/pico_w": "pico/manifest_net.json", lin: "lin/manifest.json" }[device.platform];
        expect(sdk).toContain(`$(MODDABLE)/modules/io/manifests/${io}`);
      });

      it("every local module path exists after the build", () => {
        const local = build().modules.filter(([, source]) => !source.startsWith("$("));
        expect(local.length).toBeGreaterThanOrEqual(6);
        for (const [target, source] of local) {
          if (source.endsWith("/*")) {
            const folder = source.slice(0, -2);
            expect(existsSync(folder) && statSync(folder).isDirectory(), `${target}: ${folder}`).toBe(true);
            expect(readdirSync(folder).some((f) => f.endsWith(".js")), `${folder} has modules`).toBe(true);
          } else expect(existsSync(source + ".js"), `${target}: ${source}.js`).toBe(true);
        }
      });

      it("every import of every built module resolves to a module of the build (XS's naming rule)", () => {
        const { modules } = build();
        const files = moduleFiles(modules);
        const names = new Set([...files.keys(), ...modules.map(([t]) => t).filter((t) => !t.includes("*")), ...SDK_NAMES]);
        expect(files.get("main")).toMatch(/build\/firmware\/main\.js$/);
        const unresolved: string[] = [];
        for (const [name, file] of files) {
          for (const specifier of importsOf(file)) {
            const target = resolveSpecifier(name, specifier);
            if (!names.has(target)) unresolved.push(`${name} imports ${specifier} -> ${target}`);
          }
        }
        expect(unresolved).toEqual([]);
        // Every firmware module main.js reaches is in the build.
        const seen = new Set<string>();
        const walk = (name: string) => {
          if (seen.has(name) || !files.has(name)) return;
          seen.add(name);
          for (const s of importsOf(files.get(name)!)) walk(resolveSpecifier(name, s));
        };
        walk("main");
        expect([...seen]).toEqual(expect.arrayContaining(["app", "mqtt/index", "mqtt/client/client", "net/connection", "telemetry/telemetry", "telemetry/scheduler"]));
      });

      it("every preloaded name is a module of the build", () => {
        const { modules, preload } = build();
        const names = [...moduleFiles(modules).keys(), ...modules.map(([t]) => t)];
        for (const p of preload) {
          const ok = p.endsWith("*") ? names.some((n) => n.startsWith(p.slice(0, -1))) : names.includes(p);
          expect(ok, `preload ${p}`).toBe(true);
        }
      });

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
});
