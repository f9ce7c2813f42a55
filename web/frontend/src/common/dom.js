// DOM helpers. Data only ever reaches the page as text nodes or attribute values: no HTML is
// built from callsigns or any other message field (no innerHTML anywhere in the front-end).

/**
 * Create an element. `attrs` keys: `class`, `text`, `title`, `dataset` (object), `on<event>`
 * (listener), anything else goes through setAttribute. Children: nodes or strings (as text).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = String(value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace all children of `el` with `children` (nodes or strings as text). */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** Set an element's text (null/undefined shown as an em dash). */
export function setText(el, value) {
  el.textContent = value === null || value === undefined || value === "" ? "—" : String(value);
}

export function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page is missing #${id}`);
  return el;
}

/**
 * A plain table: `columns` = [{key, label, format?(value,row), className?}], rows = objects.
 * `onRow(row)` makes rows clickable. Returns the <table>.
 */
export function table(columns, rows, { onRow, emptyText = "No rows." } = {}) {
  const head = h("thead", {}, h("tr", {}, columns.map((c) => h("th", { class: c.className }, c.label))));
  const body = h("tbody");
  for (const row of rows) {
    const tr = h("tr", { class: onRow ? "clickable" : undefined },
      columns.map((c) => h("td", { class: c.className }, display(c.format ? c.format(row[c.key], row) : row[c.key]))));
    if (onRow) tr.addEventListener("click", () => onRow(row, tr));
    body.append(tr);
  }
  if (!rows.length) body.append(h("tr", {}, h("td", { colspan: columns.length, class: "empty" }, emptyText)));
  return h("table", { class: "data" }, head, body);
}

function display(value) {
  if (value instanceof Node) return value;
  return value === null || value === undefined || value === "" ? "—" : String(value);
}

/** Show an error message (text) in `el`. */
export function showError(el, error) {
  fill(el, h("div", { class: "error-box", role: "alert" }, `Could not load: ${error?.message ?? error}`));
}
