// Small pieces shared by the dashboard tabs.
import { h, table, fill } from "../common/dom.js";

/** A card with a title and a body element; returns {card, body}. */
export function card(title, ...extra) {
  const body = h("div", { class: "card-body" });
  const card = h("section", { class: "card" }, h("h3", {}, title), ...extra, body);
  return { card, body };
}

/** A canvas in a sized box (Chart.js needs a positioned parent). */
export function chartBox(height = 260) {
  const canvas = h("canvas");
  const box = h("div", { class: "chart-box" }, canvas);
  box.style.height = `${height}px`;
  return { box, canvas };
}

/** A KPI tile. */
export function kpi(label, value, id) {
  return h("div", { class: "kpi", dataset: id ? { kpi: id } : undefined }, h("b", {}, value), h("span", {}, label));
}

/**
 * A table whose columns sort on click (client-side). columns as for dom.table plus optional
 * `sort: (row) => comparable`.
 */
export function sortableTable(container, columns, rows, { onRow, emptyText } = {}) {
  let state = { key: null, dir: 1 };
  const render = () => {
    let sorted = rows;
    if (state.key) {
      const col = columns.find((c) => c.key === state.key);
      const get = col.sort ?? ((r) => r[col.key]);
      sorted = [...rows].sort((a, b) => {
        const x = get(a);
        const y = get(b);
        if (x === y) return 0;
        if (x === null || x === undefined) return 1;
        if (y === null || y === undefined) return -1;
        return (x < y ? -1 : 1) * state.dir;
      });
    }
    const t = table(columns, sorted, { onRow, emptyText });
    t.querySelectorAll("th").forEach((th, i) => {
      const col = columns[i];
      th.classList.add("sortable");
      if (state.key === col.key) {
        th.classList.add("sorted");
        th.setAttribute("aria-sort", state.dir > 0 ? "ascending" : "descending");
      }
      th.addEventListener("click", () => {
        state = { key: col.key, dir: state.key === col.key ? -state.dir : col.className === "num" ? -1 : 1 };
        render();
      });
    });
    fill(container, h("div", { class: "table-scroll" }, t));
  };
  render();
}

/** A "loading" placeholder in `el`. */
export function loading(el, text = "Loading…") {
  fill(el, h("p", { class: "muted" }, text));
}
