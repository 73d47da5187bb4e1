// The `Resource` module on Node: the Moddable SDK's Resource class (modules/files/resource/Resource.js and
// Resource.c, included by examples/manifest_base.json), over the files of one directory that the test or
// the simulator sets (setResourceDirectory): what mcconfig's manifest `resources` put in a build, by name.
//
// - new Resource(name): the bytes of the file `name` (with its extension: "device.der") in that directory.
//   A name that is not there, with no directory set, or outside the directory ("../x", an absolute path),
//   throws URIError("Resource not found: <name>"), as the SDK does (Resource_constructor: xsURIError).
// - Resource.exists(name): whether new Resource(name) would find it.
// - byteLength; slice(begin, end): a copy of those bytes, an ArrayBuffer, begin clamped to 0 and end to
//   begin..byteLength as Resource_slice does (a negative begin is 0, not counted from the end).
//   slice(begin, end, false) gives a host buffer over the bytes on a device: a Uint8Array view of them here.
// - On a device a Resource is a read-only host buffer in flash (petrified): not an ArrayBuffer, though a
//   Uint8Array can view it, which is how firmware/net/broker.ts reads one. Node has no host buffers: here it
//   is an ArrayBuffer (a subclass) holding a copy of the file read at construction, so the simulated TLS
//   socket takes it as the SDK's takes a Resource. Writes into it are not refused here (a device's flash is).
import { readFileSync, statSync } from "node:fs";
import { isAbsolute, resolve, sep } from "node:path";

let directory: string | undefined;

/** Simulator only: the directory resources are read from (a build's resources); undefined: none at all. */
export function setResourceDirectory(dir: string | undefined): void {
  directory = dir === undefined ? undefined : resolve(dir);
}

/** Simulator only: the directory resources are read from, if one is set. */
export function resourceDirectory(): string | undefined {
  return directory;
}

/** The file of resource `name`, or undefined if the build (the directory) has no such resource. */
function fileOf(name: string): string | undefined {
  if (directory === undefined || name.length === 0 || isAbsolute(name)) return undefined;
  const path = resolve(directory, name);
  if (!path.startsWith(directory + sep)) return undefined;
  try {
    return statSync(path).isFile() ? path : undefined;
  } catch {
    return undefined;
  }
}

export default class Resource extends ArrayBuffer {
  /** ArrayBuffer methods that make a new buffer make a plain one (not `new Resource(length)`). */
  static override get [Symbol.species](): ArrayBufferConstructor {
    return ArrayBuffer;
  }

  static exists(name: unknown): boolean {
    return fileOf(String(name)) !== undefined;
  }

  constructor(name: unknown) {
    const path = String(name);
    const file = fileOf(path);
    if (file === undefined) throw new URIError(`Resource not found: ${path}`);
    const bytes = readFileSync(file);
    super(bytes.length);
    new Uint8Array(this).set(bytes);
  }

  override slice(begin?: number, end?: number): ArrayBuffer;
  override slice(begin: number, end: number, copy: boolean): ArrayBuffer | Uint8Array;
  override slice(begin?: number, end?: number, copy = true): ArrayBuffer | Uint8Array {
    const length = this.byteLength;
    let start = begin === undefined ? 0 : Math.trunc(Number(begin)) || 0;
    if (start < 0) start = 0;
    if (start > length) start = length;
    let stop = end === undefined ? length : Math.trunc(Number(end)) || 0;
    if (stop < start) stop = start;
    else if (stop > length) stop = length;
    if (!copy) return new Uint8Array(this, start, stop - start);
    const out = new ArrayBuffer(stop - start);
    new Uint8Array(out).set(new Uint8Array(this, start, stop - start));
    return out;
  }
}
Object.freeze(Resource.prototype);
