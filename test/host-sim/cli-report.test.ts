// What npm start prints (host-sim/cli-report.ts), without a process: the kind of each topic, the summary
// whose parts add up to its totals, and the event lines as text or as JSON.
import { describe, expect, it } from "vitest";
import { classify, EventLog, payloadFields, summaryText, Tally, type Summary } from "../../host-sim/cli-report.js";

describe("classify: a topic of the device app by kind", () => {
  for (const [topic, kind, device, name] of [
    ["devices/esp32-devkit-a1b2c3/telemetry/sht3x", "telemetry", "esp32-devkit-a1b2c3", "sht3x"],
    ["devices/esp32-devkit-a1b2c3/status", "status", "esp32-devkit-a1b2c3", undefined],
    ["devices/esp32-devkit-a1b2c3/cmd/config", "command", "esp32-devkit-a1b2c3", "config"],
    ["devices/esp32-devkit-a1b2c3/cmd-result", "result", "esp32-devkit-a1b2c3", undefined],
    ["homeassistant/sensor/esp32-devkit-a1b2c3_sht3x_temperature/config", "discovery", "esp32-devkit-a1b2c3_sht3x_temperature", undefined],
    ["devices/esp32-devkit-a1b2c3/telemetry/sht3x/extra", "other", "", undefined],
    ["devices/esp32-devkit-a1b2c3", "other", "", undefined],
    ["elsewhere/status", "other", "", undefined],
  ] as const) {
    it(`${topic}: ${kind}`, () => {
      expect(classify(topic)).toEqual({ kind, device, ...(name === undefined ? {} : { name }) });
    });
  }

  it("a discovery config names its device in device.identifiers", () => {
    const payload = JSON.stringify({ unique_id: "x_sht3x_temperature", device: { identifiers: ["esp32-devkit-a1b2c3"] } });
    expect(classify("homeassistant/sensor/x_sht3x_temperature/config", payload)).toEqual({ kind: "discovery", device: "esp32-devkit-a1b2c3" });
    expect(classify("homeassistant/sensor/x_sht3x_temperature/config", "not json").device).toBe("x_sht3x_temperature");
  });
});

/** A summary's numbers as the text gives them: each total and its parts. */
function numbersOf(text: string): { published: number; publishedParts: number[]; received: number; receivedParts: number[] } {
  const side = (pattern: RegExp) => {
    const m = pattern.exec(text);
    if (!m) throw new Error(`no ${pattern} in ${text}`);
    return { total: Number(m[1]), parts: [...m[2].matchAll(/(\d+)/g)].map((p) => Number(p[1])) };
  };
  const published = side(/published (\d+) = ([^;]+);/);
  const received = side(/received (\d+) = (.+)$/);
  return { published: published.total, publishedParts: published.parts, received: received.total, receivedParts: received.parts };
}

function tally(counts: Partial<Record<"telemetry" | "status" | "discovery" | "command" | "result" | "other", number>>): Tally {
  const t = new Tally();
  for (const [kind, n] of Object.entries(counts)) for (let i = 0; i < n; i++) t.add(kind as "telemetry");
  return t;
}

describe("the summary", () => {
  const summary: Summary = {
    devices: 2,
    connects: 2,
    published: 21,
    publishedBy: tally({ telemetry: 10, status: 2, discovery: 8, result: 1 }),
    sent: 21,
    acked: 20,
    resent: 0,
    dropped: 0,
    received: 22,
    receivedBy: tally({ telemetry: 10, status: 2, discovery: 8, command: 1, result: 1 }),
  };

  it("says telemetry apart from status, discovery and command results, and the parts add up to the totals", () => {
    const text = summaryText(summary);
    expect(text).toBe(
      "summary: 2 device(s), connects 2, published 21 = telemetry 10 + status 2 + discovery 8 + command results 1; " +
        "sent 21, acked 20, resent 0, dropped 0; the subscriber received 22 = telemetry 10 + status 2 + discovery 8 + commands 1 + command results 1",
    );
    const n = numbersOf(text);
    expect(n.publishedParts.reduce((a, b) => a + b)).toBe(n.published);
    expect(n.receivedParts.reduce((a, b) => a + b)).toBe(n.received);
  });

  it("messages of no known kind are shown as other, so the parts still add up", () => {
    const text = summaryText({ ...summary, received: 25, receivedBy: tally({ telemetry: 10, status: 2, discovery: 8, command: 1, result: 1, other: 3 }) });
    expect(text).toContain("+ other 3");
    const n = numbersOf(text);
    expect(n.receivedParts.reduce((a, b) => a + b)).toBe(n.received);
  });

  it("Tally: sum and addAll", () => {
    const t = tally({ telemetry: 3, status: 1 });
    t.addAll(tally({ discovery: 4, other: 2 }));
    expect(t.sum).toBe(10);
    expect([t.telemetry, t.status, t.discovery, t.other]).toEqual([3, 1, 4, 2]);
  });
});

describe("the event lines", () => {
  const lines = (mode: { json: boolean; quiet: boolean }) => {
    const out: string[] = [];
    const log = new EventLog((line) => out.push(line), () => 1234, mode);
    log.start({ devices: 1 }, "mqtt-xs simulator: 1 x esp32_devkit");
    log.event("esp32-devkit-a1b2c3", "connected", { sessionPresent: false }, "connected (session present: no)");
    log.event("esp32-devkit-a1b2c3", "telemetry", { topic: "devices/esp32-devkit-a1b2c3/telemetry/sht3x" }, "devices/esp32-devkit-a1b2c3/telemetry/sht3x {}", "subscriber");
    log.summary({ devices: 1, connects: 1, published: 1, publishedBy: tally({ telemetry: 1 }), sent: 1, acked: 1, resent: 0, dropped: 0, received: 1, receivedBy: tally({ telemetry: 1 }) });
    return out.join("");
  };

  it("text: a stamp, who (the subscriber for what it received), the words", () => {
    const text = lines({ json: false, quiet: false }).split("\n");
    expect(text[0]).toBe("mqtt-xs simulator: 1 x esp32_devkit");
    expect(text[2]).toBe("[   1.2s] esp32-devkit-a1b2c3    connected (session present: no)");
    expect(text[3]).toBe("[   1.2s] subscriber             devices/esp32-devkit-a1b2c3/telemetry/sht3x {}");
    expect(text[4]).toMatch(/^\[ {3}1\.2s\] summary: 1 device\(s\)/);
  });

  it("--json: every line one JSON object with time, device and kind, the start and the summary too", () => {
    const out = lines({ json: true, quiet: false });
    const objects = out.trimEnd().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(objects.map((o) => [o.time, o.device, o.kind])).toEqual([
      [1.234, null, "start"],
      [1.234, "esp32-devkit-a1b2c3", "connected"],
      [1.234, "esp32-devkit-a1b2c3", "telemetry"],
      [1.234, null, "summary"],
    ]);
    expect(objects[1].sessionPresent).toBe(false);
    expect(objects[3]).toMatchObject({ published: 1, publishedBy: { telemetry: 1, status: 0, discovery: 0, results: 0 }, received: 1 });
  });

  it("--quiet: only the start and the summaries", () => {
    expect(lines({ json: true, quiet: true }).trimEnd().split("\n").map((l) => (JSON.parse(l) as { kind: string }).kind)).toEqual(["start", "summary"]);
    expect(lines({ json: false, quiet: true })).not.toContain("connected");
  });

  it("a payload for --json: the string, and data when it is a JSON object", () => {
    expect(payloadFields('{"t":1}')).toEqual({ payload: '{"t":1}', data: { t: 1 } });
    expect(payloadFields("online")).toEqual({ payload: "online" });
    expect(payloadFields("{not json")).toEqual({ payload: "{not json" });
  });
});
