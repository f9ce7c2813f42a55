// Chart.js set-up shared by the dashboards: only the controllers used are registered (smaller
// bundle), animations off, dark theme. Labels are drawn on canvas, never as HTML.
import {
  Chart, BarController, BarElement, LineController, LineElement, PointElement, ScatterController,
  CategoryScale, LinearScale, Tooltip, Legend, Filler,
} from "chart.js";

Chart.register(BarController, BarElement, LineController, LineElement, PointElement, ScatterController,
  CategoryScale, LinearScale, Tooltip, Legend, Filler);
Chart.defaults.animation = false;
Chart.defaults.color = "#b8c8d8";
Chart.defaults.borderColor = "#2a3f57";
Chart.defaults.font.family = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif";
Chart.defaults.maintainAspectRatio = false;

export const PALETTE = ["#4fb3ff", "#f0b43c", "#3ccf7a", "#c77dff", "#ff7a59", "#7ee0d2"];

const charts = new WeakMap();

/** (Re)draw a chart on `canvas` (the old chart on it is destroyed first). */
export function draw(canvas, config) {
  charts.get(canvas)?.destroy();
  const chart = new Chart(canvas, config);
  charts.set(canvas, chart);
  return chart;
}

/** Horizontal bars: labels[] and values[]. */
export function hbar(canvas, labels, values, { label, color = PALETTE[0], format } = {}) {
  return draw(canvas, {
    type: "bar",
    data: { labels, datasets: [{ label, data: values, backgroundColor: color }] },
    options: {
      indexAxis: "y",
      plugins: { legend: { display: false }, tooltip: format ? { callbacks: { label: (c) => format(c.parsed.x) } } : {} },
      scales: { x: { beginAtZero: true }, y: { ticks: { autoSkip: false, font: { size: 11 } } } },
    },
  });
}

export { Chart };
