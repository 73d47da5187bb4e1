// One uPlot per sensor: a line per device and field of the telemetry the subscriber receives, x its
// sample's ts; the sensor's first field on the left axis, the others on the right. uPlot is the global
// of /uplot.js (node_modules/uplot/dist/uPlot.iife.min.js).
/* global uPlot */

const KEEP = 600;
/** Lines stay readable up to this many devices per plot: the first ones seen are drawn, the others said in the caption. */
const MAX_DEVICES = 8;
const UNITS = { temperature: "°C", humidity: "%", pressure: "Pa" };
const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"];

class SensorPlot {
  constructor(parent, sensor) {
    this.sensor = sensor;
    this.points = [];
    this.devices = [];
    this.fields = [];
    this.plot = null;
    this.due = false;
    this.box = document.createElement("figure");
    this.box.className = "plot";
    this.box.dataset.sensor = sensor;
    this.box.dataset.points = "0";
    const caption = document.createElement("figcaption");
    caption.textContent = sensor;
    this.box.append(caption);
    this.chart = document.createElement("div");
    this.box.append(this.chart);
    parent.append(this.box);
  }

  add(point) {
    if (!this.devices.includes(point.device) && this.devices.length >= MAX_DEVICES) {
      this.box.querySelector("figcaption").textContent = `${this.sensor} (the first ${MAX_DEVICES} devices drawn)`;
      return;
    }
    this.points.push(point);
    if (this.points.length > KEEP) this.points.splice(0, this.points.length - KEEP);
    let grown = false;
    if (!this.devices.includes(point.device)) {
      this.devices.push(point.device);
      grown = true;
    }
    for (const field of Object.keys(point.values)) {
      if (!this.fields.includes(field)) {
        this.fields.push(field);
        grown = true;
      }
    }
    if (grown) this.rebuild();
    else this.later();
  }

  /** The lines: one per device and field, in the order they appeared. */
  lines() {
    const out = [];
    this.devices.forEach((device, d) => this.fields.forEach((field, f) => out.push({ device, field, color: COLORS[d % COLORS.length], dash: f === 0 ? undefined : [6, 4] })));
    return out;
  }

  data() {
    const sorted = [...this.points].sort((a, b) => a.t - b.t);
    const xs = sorted.map((p) => p.t);
    const ys = this.lines().map(({ device, field }) => sorted.map((p) => (p.device === device && field in p.values ? p.values[field] : null)));
    return [xs, ...ys];
  }

  rebuild() {
    if (this.plot) this.plot.destroy();
    const scale = (field) => (this.fields.indexOf(field) === 0 ? "left" : "right");
    const label = (field) => `${field}${UNITS[field] ? ` (${UNITS[field]})` : ""}`;
    const right = this.fields.slice(1);
    this.plot = new uPlot(
      {
        width: this.width(),
        height: 220,
        legend: { live: false },
        scales: { x: { time: true } },
        series: [{}, ...this.lines().map(({ device, field, color, dash }) => ({ label: `${device} ${field}`, stroke: color, dash, width: 1.5, scale: scale(field), spanGaps: true, points: { size: 4 } }))],
        axes: [
          {},
          { scale: "left", label: label(this.fields[0]), size: 60 },
          ...(right.length ? [{ scale: "right", side: 1, label: right.map(label).join(", "), size: 70, grid: { show: false } }] : []),
        ],
      },
      this.data(),
      this.chart,
    );
    this.box.dataset.points = String(this.points.length);
  }

  /** setData at most every 250 ms. */
  later() {
    if (this.due) return;
    this.due = true;
    setTimeout(() => {
      this.due = false;
      this.plot.setData(this.data());
      this.box.dataset.points = String(this.points.length);
    }, 250);
  }

  width() {
    return Math.max(320, this.box.clientWidth - 16);
  }

  resize() {
    if (this.plot) this.plot.setSize({ width: this.width(), height: 220 });
  }
}

export class Plots {
  constructor(parent) {
    this.parent = parent;
    this.bySensor = new Map();
    addEventListener("resize", () => this.bySensor.forEach((p) => p.resize()));
  }

  add(sensor, point) {
    let plot = this.bySensor.get(sensor);
    if (!plot) {
      plot = new SensorPlot(this.parent, sensor);
      this.bySensor.set(sensor, plot);
    }
    plot.add(point);
  }
}
