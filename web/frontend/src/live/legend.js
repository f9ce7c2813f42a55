// The altitude colour legend (tar1090-style ramp) and the emergency colour.
import { byId, h } from "../common/dom.js";
import { legendEntries, EMERGENCY_COLOR } from "../common/colors.js";

export function renderLegend() {
  const el = byId("legend");
  el.append(h("div", { class: "legend-title" }, "Altitude (ft)"));
  const row = h("div", { class: "legend-row" });
  for (const [label, color] of legendEntries()) {
    const swatch = h("span", { class: "legend-swatch" });
    swatch.style.background = color;
    row.append(h("span", { class: "legend-item" }, swatch, h("span", { class: "legend-label" }, label)));
  }
  el.append(row);
  const red = h("span", { class: "legend-swatch" });
  red.style.background = EMERGENCY_COLOR;
  el.append(h("div", { class: "legend-row" }, h("span", { class: "legend-item" }, red, h("span", { class: "legend-label" }, "7500 / 7600 / 7700"))));
}
