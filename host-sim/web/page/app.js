// The live page: its WebSocket to the simulator (/feed), the devices' table, the broker's view, the
// fault buttons, the command form and its results, the plots (plots.js) and the last events. What the
// feed sends is in host-sim/web/feed.ts; every request gets a reply, a refusal shown in #notice.
import { Plots } from "./plots.js";

const $ = (selector) => document.querySelector(selector);
const FAULT_WORDS = { drop: "drop", stall: "stall", drip: "drip", "wifi-down": "Wi-Fi down", "wifi-up": "Wi-Fi up", "broker-restart": "broker restart" };
const EXAMPLES = { interval: '{"sensor":"sht3x","seconds":5}', sample: '{"sensor":"sht3x"} or nothing: every sensor', config: "nothing (or {})" };
let plots = new Plots($("#plots"));
const rows = new Map();
const pending = new Map(); // the command id the device echoes -> its row in #results
let socket = null;
let nextRef = 1;

function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

function notice(words) {
  const box = $("#notice");
  box.textContent = words;
  box.hidden = false;
  clearTimeout(notice.timer);
  notice.timer = setTimeout(() => (box.hidden = true), 8000);
}

function request(message, onReply) {
  const ref = nextRef++;
  request.waiting.set(ref, onReply);
  socket.send(JSON.stringify({ ...message, ref }));
}
request.waiting = new Map();

function faultButton(target, fault) {
  const button = el("button", { type: "button", textContent: FAULT_WORDS[fault] ?? fault });
  button.dataset.target = target;
  button.dataset.fault = fault;
  button.addEventListener("click", () => request({ type: "fault", target, fault }));
  return button;
}

function setState(id, state) {
  const row = rows.get(id);
  if (!row) return;
  row.cells.state.textContent = state;
  row.tr.dataset.state = state;
}

function start(hello) {
  const s = hello.start;
  $("#run").textContent = `${s.devices} × ${s.board} (${s.description}) → ${s.broker}${s.embedded ? " (embedded aedes)" : ""}, MQTT ${s.mqtt}; ` +
    s.sensors.map((x) => `${x.name} every ${x.interval} s`).join(", ");
  const all = $("#all-faults");
  all.replaceChildren(el("span", { textContent: "All devices:" }), ...hello.faults.filter((f) => s.embedded || f !== "broker-restart").map((f) => faultButton("all", f)));
  const body = $("#devices tbody");
  body.replaceChildren();
  rows.clear();
  const select = $("#command-form [name=target]");
  select.replaceChildren(...hello.devices.map((d) => el("option", { value: d.id, textContent: d.id })));
  $("#command-form [name=name]").replaceChildren(...hello.commands.map((c) => el("option", { value: c, textContent: c })));
  hint();
  for (const d of hello.devices) {
    const cells = {};
    const tr = el("tr");
    tr.dataset.device = d.id;
    for (const name of ["id", "state", "why", "published", "acked", "queued", "dropped", "resent", "buffers"]) {
      cells[name] = el("td", { className: name });
      tr.append(cells[name]);
    }
    cells.id.textContent = d.id;
    tr.append(el("td", { className: "faults" }, ...hello.faults.filter((f) => f !== "broker-restart").map((f) => faultButton(d.id, f))));
    body.append(tr);
    rows.set(d.id, { tr, cells });
  }
  $("#plots").replaceChildren(); // a hello after a reconnect brings the history again
  plots = new Plots($("#plots"));
  for (const [sensor, points] of Object.entries(hello.history)) for (const p of points) plots.add(sensor, p);
  $("#log").replaceChildren();
  for (const e of hello.events) logLine(e);
  stats(hello);
}

function stats(m) {
  for (const d of m.devices) {
    const row = rows.get(d.id);
    if (!row) continue;
    setState(d.id, d.state);
    const c = row.cells;
    c.why.textContent = d.lastDisconnect ? `${d.lastDisconnect.why} (${new Date(d.lastDisconnect.at).toLocaleTimeString()})` : "—";
    for (const k of ["published", "acked", "queued", "dropped", "resent"]) c[k].textContent = d.stats[k];
    const b = d.buffers;
    c.buffers.textContent = `${(b.total / 1024).toFixed(1)} KiB`;
    c.buffers.title = `receive ${b.receive} + transmit ${b.transmit} + control ${b.control} = ${b.total} bytes`;
    row.tr.classList.toggle("wifi-down", !d.wifi);
  }
  const b = m.broker;
  $("#broker").textContent = b.embedded
    ? `embedded aedes at ${b.url}: ${b.up ? "up" : "restarting"}, ${b.clients} client(s) connected, ${b.messages} PUBLISH taken from clients`
    : "an external broker (--broker): the simulator cannot see inside it";
  const t = m.summary;
  $("#totals").textContent = `devices published ${t.published}, acked ${t.acked}, dropped ${t.dropped}, resent ${t.resent}; the subscriber received ${t.received} (telemetry ${t.receivedBy.telemetry})`;
}

function logLine(e) {
  const log = $("#log");
  log.prepend(el("li", { textContent: `${new Date(e.t * 1000).toLocaleTimeString()}  ${e.device.padEnd(20)} ${e.text}` }));
  while (log.children.length > 50) log.lastChild.remove();
}

function event(e) {
  if (e.kind === "connected" || e.kind === "connecting") setState(e.device, e.kind);
  if (e.kind === "disconnected") setState(e.device, "offline");
  if (e.kind === "telemetry") plots.add(e.sensor, e.point);
  if (e.kind === "result" && e.data && typeof e.data === "object" && pending.has(String(e.data.id))) {
    const li = pending.get(String(e.data.id));
    pending.delete(String(e.data.id));
    li.classList.add(e.data.ok ? "ok" : "failed");
    li.querySelector(".result").textContent = e.data.ok ? `ok ${JSON.stringify(e.data)}` : `failed: ${e.data.error}`;
  }
  if (e.kind !== "telemetry") logLine(e);
}

function hint() {
  const name = $("#command-form [name=name]").value;
  $("#command-form [name=payload]").placeholder = EXAMPLES[name] ?? "";
}

$("#command-form [name=name]").addEventListener("change", hint);
$("#command-form").addEventListener("submit", (submit) => {
  submit.preventDefault();
  const form = new FormData(submit.target);
  const message = { type: "command", target: form.get("target"), name: form.get("name"), payload: form.get("payload") };
  request(message, (reply) => {
    const li = el("li", {}, el("code", { textContent: `${message.target} ${message.name} ${reply.ok ? reply.sent.payload : message.payload}` }), " → ", el("span", { className: "result", textContent: "waiting for its result" }));
    if (!reply.ok) {
      li.classList.add("refused");
      li.querySelector(".result").textContent = `refused: ${reply.error}`;
    } else {
      li.dataset.id = reply.sent.id;
      pending.set(reply.sent.id, li);
    }
    $("#results").prepend(li);
  });
});

function connect() {
  socket = new WebSocket(`ws://${location.host}/feed`);
  socket.addEventListener("open", () => {
    $("#feed").textContent = "feed: live";
    $("#feed").classList.remove("down");
  });
  socket.addEventListener("close", () => {
    $("#feed").textContent = "feed: closed (the simulator stopped?); retrying";
    $("#feed").classList.add("down");
    setTimeout(connect, 2000);
  });
  socket.addEventListener("message", (message) => {
    const m = JSON.parse(message.data);
    if (m.type === "hello") start(m);
    else if (m.type === "stats") stats(m);
    else if (m.type === "event") event(m);
    else if (m.type === "reply") {
      const handler = request.waiting.get(m.ref);
      request.waiting.delete(m.ref);
      if (handler) handler(m);
      if (!m.ok) notice(m.error);
    }
  });
}
connect();
