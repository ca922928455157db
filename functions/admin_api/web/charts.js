// Small inline SVG charts (no library): monthly bars for flows, a line for totals and shares.

import { s, uid } from "/admin/app/dom.js";

const W = 360;
const H = 180;
const PAD = { left: 48, right: 10, top: 14, bottom: 30 };

const GRID_LINES = 3;
const LABEL_EVERY = 3;

/** Gridline values that read well: multiples of 1, 2 or 5 × 10ⁿ from below `low` to above `high`. */
function niceTicks(low, high, integer = false) {
  const raw = (high - low) / GRID_LINES || 1;
  const base = 10 ** Math.floor(Math.log10(raw));
  let step = [1, 2, 5, 10].map((m) => m * base).find((candidate) => candidate >= raw);
  if (integer) step = Math.max(1, Math.round(step));
  const first = Math.floor(low / step);
  const last = Math.max(Math.ceil(high / step), first + 1);
  // Rounded so that 3 × 0.1 is 0.3, not 0.30000000000000004.
  return Array.from({ length: last - first + 1 }, (_, i) => Number(((first + i) * step).toPrecision(12)));
}

/**
 * values: numbers (one per month); labels: the months' short labels; format(value) → text;
 * kind: "bar" | "line". Returns an <svg role="img"> with a label summarising the series and a
 * <title> per point (shown as a tooltip).
 */
export function monthlyChart({ values, labels, format, kind = "bar", label, integer = false }) {
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const ticks = niceTicks(Math.min(0, ...values), Math.max(0, ...values), integer);
  const minValue = ticks[0];
  const span = ticks[ticks.length - 1] - minValue;
  const y = (v) => PAD.top + plotH - ((v - minValue) / span) * plotH;
  const step = plotW / Math.max(values.length, 1);
  const x = (i) => PAD.left + step * i + step / 2;
  const titleId = uid("chart");

  const svg = s("svg", {
    viewBox: `0 0 ${W} ${H}`,
    class: "chart",
    role: "img",
    "aria-labelledby": titleId,
    preserveAspectRatio: "xMidYMid meet",
  });
  svg.append(s("title", { id: titleId, text: label }));

  const grid = s("g", { class: "chart-grid" });
  for (const value of ticks) {
    const gy = y(value);
    grid.append(
      s("line", { x1: PAD.left, x2: W - PAD.right, y1: gy, y2: gy, stroke: "#d5dbe5", "stroke-width": 1 }),
      s("text", { x: PAD.left - 6, y: gy + 3.5, "text-anchor": "end", "font-size": 10, fill: "#4a5568", text: format(value, true) }),
    );
  }
  svg.append(grid);

  const axis = s("g", { class: "chart-axis" });
  labels.forEach((text, i) => {
    // Every third month, counted back from the latest, so the labels never crowd.
    if ((labels.length - 1 - i) % LABEL_EVERY !== 0) return;
    axis.append(s("text", { x: x(i), y: H - PAD.bottom + 16, "text-anchor": "middle", "font-size": 10, fill: "#4a5568", text }));
  });
  svg.append(axis);

  const series = s("g", { class: `chart-series chart-${kind}` });
  if (kind === "line") {
    const points = values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
    const baseline = y(Math.max(minValue, 0));
    series.append(
      s("polygon", {
        points: `${x(0).toFixed(1)},${baseline} ${points} ${x(values.length - 1).toFixed(1)},${baseline}`,
        fill: "#1f4fb3",
        "fill-opacity": 0.08,
      }),
      s("polyline", { points, fill: "none", stroke: "#1f4fb3", "stroke-width": 2, "stroke-linejoin": "round" }),
    );
    values.forEach((v, i) => {
      series.append(s("circle", { cx: x(i), cy: y(v), r: 3, fill: "#1f4fb3" }, s("title", { text: `${labels[i]}: ${format(v)}` })));
    });
  } else {
    const barW = Math.max(step * 0.62, 2);
    const zero = y(0);
    values.forEach((v, i) => {
      const top = Math.min(y(v), zero);
      const height = Math.max(Math.abs(zero - y(v)), v === 0 ? 0 : 1);
      series.append(
        s(
          "rect",
          { x: x(i) - barW / 2, y: top, width: barW, height, rx: 2, fill: i === values.length - 1 ? "#1f4fb3" : "#6b8fd6" },
          s("title", { text: `${labels[i]}: ${format(v)}` }),
        ),
      );
    });
  }
  svg.append(series);
  return svg;
}
