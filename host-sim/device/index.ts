// The device modules the firmware imports, by the names it imports them with, mapped to the files that
// implement them on Node: for a Node loader hook (resolve: specifier in deviceModules -> pathToFileURL)
// and for a vitest alias ({ find: name, replacement: path }).
// Paths are absolute, with this module's own extension: .ts when run from source (vitest, a TypeScript
// loader), .js when run from a build.
import { fileURLToPath } from "node:url";

const extension = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
const here = (name: string): string => fileURLToPath(new URL(`./${name}${extension}`, import.meta.url));

export const deviceModules: Readonly<Record<string, string>> = Object.freeze({
  "embedded:io/socket/tcp": here("tcp"),
  "embedded:io/socket/tcp/tls": here("tls"),
  "embedded:io/socket/udp": here("udp"),
  "embedded:network/dns/resolver/udp": here("dns"),
  timer: here("timer"),
  time: here("time"),
  // The SDK's Resource: files of the directory set with setResourceDirectory() (host-sim/device/resource.ts).
  Resource: here("resource"),
});

/** The same map as vitest `resolve.alias` entries (exact names: "timer" must not match "timer/x"). */
export function deviceAliases(): { find: RegExp; replacement: string }[] {
  return Object.entries(deviceModules).map(([name, path]) => ({
    find: new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}$`),
    replacement: path,
  }));
}
