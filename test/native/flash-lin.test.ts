// firmware/native's C, compiled and run here with the host's C compiler (no Moddable SDK needed):
// - the lin flash (lin/mqttxs_flash_lin.c, a file with NOR semantics) driven through mqttxs_flash.h by
//   test/native/flash-lin-check.c: names, NOR writes, refusals with words, erases, a second process over
//   the same file, a shorter file extended erased;
// - the XS binding (mqttxs_flash.c) compiles with -Wall -Wextra -Werror against the XS headers here
//   (@agoric/xsnap's copy of Moddable's xs.h and xsmc.h; the SDK's own build of it is checked by hand, see
//   the README's "The outbox on flash").
// The Pico file needs the Pico SDK and runs only on the board. Without a C compiler these skip and say so,
// except under CI (CI=true), where that is a failure.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = process.cwd();
const native = join(root, "firmware/native");
const out = join(root, "build/native");
const cc = process.env.CC ?? "cc";
const hasCc = spawnSync(cc, ["--version"]).status === 0;
if (!hasCc) {
  const message = `test/native: no C compiler (${cc}): firmware/native's C is not checked`;
  if (process.env.CI) throw new Error(message + " (CI=true: it must run)");
  console.warn(message);
}

const compile = (args: string[]) => {
  const r = spawnSync(cc, args, { encoding: "utf8" });
  expect(r.stderr, `${cc} ${args.join(" ")}`).toBe("");
  expect(r.status).toBe(0);
};

describe.skipIf(!hasCc)("firmware/native's C, with the host's compiler", () => {
  const dir = mkdtempSync(join(tmpdir(), "mqtt-xs-flash-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const check = join(out, "flash-lin-check");

  /** Runs the check program over `file` in `mode`: its lines and exit code. */
  const run = (mode: string, file: string) => {
    const r = spawnSync(check, [mode], { encoding: "utf8", env: { ...process.env, MQTTXS_FLASH: file } });
    return { lines: r.stdout.trim().split("\n"), status: r.status };
  };

  it("the lin flash compiles with -Wall -Wextra -Werror", () => {
    mkdirSync(out, { recursive: true });
    compile(["-std=gnu11", "-Wall", "-Wextra", "-Werror", "-I", native, join(root, "test/native/flash-lin-check.c"), join(native, "lin/mqttxs_flash_lin.c"), "-o", check]);
  });

  it("a first process: erased file, NOR writes, a bit set refused with words, whole-sector erases", () => {
    const file = join(dir, "storage.flash");
    const { lines, status } = run("fresh", file);
    expect(lines.filter((l) => !l.startsWith("ok "))).toEqual([]);
    expect(lines.length).toBe(11);
    expect(status).toBe(0);
    expect(statSync(file).size).toBe(65536);
    // The second process over the same file: the device's next boot.
    const again = run("again", file);
    expect(again.lines).toEqual(["ok open(\"nvs\") is refused with words", 'ok open("storage"): 65,536 bytes from 0', "ok the next process reads what the last one wrote", "ok and what it erased"]);
    expect(again.status).toBe(0);
  });

  it("a file shorter than the area keeps its bytes and is extended erased", () => {
    const file = join(dir, "short.flash");
    writeFileSync(file, new Uint8Array(100));
    const { lines, status } = run("short", file);
    expect(lines.filter((l) => !l.startsWith("ok "))).toEqual([]);
    expect(status).toBe(0);
    expect(statSync(file).size).toBe(65536);
  });

  it("a refused check fails the program (the harness can fail)", () => {
    const file = join(dir, "bad.flash");
    writeFileSync(file, new Uint8Array(65536)); // all zeros: not the "BOOT" a first run leaves
    const { lines, status } = run("again", file);
    expect(lines).toContain("FAIL the next process reads what the last one wrote");
    expect(status).toBe(1);
  });

  it("the XS binding (mqttxs_flash.c) compiles with -Wall -Wextra -Werror against XS's xs.h and xsmc.h", () => {
    const xs = join(root, "node_modules/@agoric/xsnap/moddable/xs/includes");
    compile(["-std=gnu11", "-fsyntax-only", "-Wall", "-Wextra", "-Werror", "-include", "stddef.h", "-isystem", xs, "-I", native, join(native, "mqttxs_flash.c")]);
  });
});
