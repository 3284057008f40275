// The supervisor's view: the authority's figures today, in the browser's time zone.
import { call } from "./api.js";
import { authorityName } from "./turns.js";
import { clock, duration, t } from "./words.js";

const $ = (id) => document.getElementById(id);

export async function loadSupervisor(me) {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  const figures = await call("GET", `/api/supervisor?tz=${encodeURIComponent(zone)}`);
  $("supervisor-title").textContent = t("supervisor.title", { authority: authorityName(me, figures.authority) });
  $("sv-queue").textContent = String(figures.queue_length);
  $("sv-open").textContent = String(figures.open_cases);
  const oldest = figures.oldest_waiting;
  $("sv-oldest").textContent = oldest
    ? `${t("supervisor.waitingFor", { time: duration(Date.now() - Date.parse(oldest.since)) })} (${clock(oldest.since)})`
    : t("supervisor.oldestNone");
  const names = figures.names || {};
  const online = figures.officials_online.map((id) => names[id] || id);
  $("sv-online").textContent = online.length ? `${online.length}: ${online.join(", ")}` : "0";
  $("sv-missed").textContent = String(figures.breached_today);
  $("sv-resolved").textContent = String(figures.resolved_today);
  const ids = [...new Set([...Object.keys(names), ...Object.keys(figures.claimed_today), ...Object.keys(figures.claimed_now)])];
  $("sv-officials").replaceChildren(
    ...ids.map((id) => {
      const row = document.createElement("tr");
      const state = (figures.presence || {})[id] || "offline";
      for (const value of [names[id] || id, t(`presence.${state}`), figures.claimed_now[id] || 0, figures.claimed_today[id] || 0]) {
        const cell = document.createElement("td");
        cell.textContent = String(value);
        row.append(cell);
      }
      return row;
    }),
  );
  $("sv-since").textContent = t("supervisor.since", { time: clock(figures.day_started_at) });
}

