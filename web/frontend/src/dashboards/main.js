// The dashboards page (/dashboards): tabs over the serving database, each mounted on first
// view. The URL hash names the tab (#overview, #routes, #utilization, #heatmap, #history;
// #history/<flight_id> opens a flight).
import "../common/base.css";
import "./dashboards.css";
import { byId } from "../common/dom.js";
import { loadConfig } from "../common/api.js";
import { mountOverview } from "./overview.js";
import { mountRoutes } from "./routes.js";
import { mountUtilization } from "./utilization.js";
import { mountHeatmap } from "./heatmap.js";
import { mountHistory } from "./history.js";

const TABS = ["overview", "routes", "utilization", "heatmap", "history"];
const mounted = new Map(); // tab -> Promise<api>
let configPromise = null;

function mount(tab) {
  if (!mounted.has(tab)) {
    configPromise ??= loadConfig();
    const root = byId(`tab-${tab}`);
    const job = configPromise.then((config) => {
      switch (tab) {
        case "overview": return mountOverview(root);
        case "routes": return mountRoutes(root);
        case "utilization": return mountUtilization(root, { openFlight });
        case "heatmap": return mountHeatmap(root, { config });
        default: return mountHistory(root, { config });
      }
    });
    mounted.set(tab, job);
  }
  return mounted.get(tab);
}

function show(tab, arg) {
  if (!TABS.includes(tab)) tab = "overview";
  for (const t of TABS) {
    const on = t === tab;
    byId(`tab-${t}`).hidden = !on;
    const button = byId(`tabbtn-${t}`);
    button.setAttribute("aria-selected", String(on));
    button.tabIndex = on ? 0 : -1;
  }
  mount(tab).then((api) => {
    api?.resize?.();
    if (tab === "history" && arg) api?.open?.(decodeURIComponent(arg));
  });
}

function openFlight(flightId) {
  window.location.hash = `history/${encodeURIComponent(flightId)}`;
}

function route() {
  const [tab, arg] = window.location.hash.replace(/^#/, "").split("/");
  show(tab || "overview", arg);
}

for (const tab of TABS) {
  byId(`tabbtn-${tab}`).addEventListener("click", () => {
    if (window.location.hash.replace(/^#/, "").split("/")[0] === tab) route();
    else window.location.hash = tab;
  });
}
window.addEventListener("hashchange", route);
route();
