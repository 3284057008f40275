// How a case and its conversation read: plain words for the machine's, and the countdown.
import { clock, duration, has, locale, t } from "./words.js";

/** The first answer's service level: its words and its colour (amber in its last quarter). */
export function due(c, coarse = false) {
  if (c.answered) return { kind: "done", text: t("due.answered") };
  const deadline = Date.parse(c.first_response_due);
  const left = deadline - Date.now();
  if (c.breached || left <= 0) {
    return { kind: "missed", text: `${t("due.missed")}: ${t("due.missedAgo", { time: duration(left, coarse) })}` };
  }
  const whole = deadline - Date.parse(c.opened_at);
  const soon = left <= Math.max(2 * 60_000, whole / 4);
  const text = t("due.in", { time: duration(left, coarse) });
  return soon ? { kind: "soon", text: `${t("due.soon")}: ${text}` } : { kind: "", text }; // not by colour alone
}
/** The countdown as a badge; ``coarse``: whole minutes, for the list of cases. */
export function badge(c, coarse = false) {
  const state = due(c, coarse);
  const span = document.createElement("span");
  span.className = `badge ${state.kind}`;
  span.textContent = state.text;
  return span;
}

export function reasonOf(c) {
  const byPolicy = `reason.${c.policy}`;
  return has(byPolicy) ? t(byPolicy) : t(has(`trigger.${c.trigger}`) ? `trigger.${c.trigger}` : "trigger.OTHER");
}
/** An authority's name for ``code``, as the API told ``me`` (the signed-in official). */
export function authorityName(me, code) {
  return (me && me.authorities && me.authorities[code]) || code;
}
export function statusOf(c, me) {
  if (c.status === "resolved") return t("case.statusResolved");
  if (c.status === "claimed") {
    return c.official_id === me.id ? t("case.statusMine") : t("case.statusClaimedBy", { name: c.official_name || c.official_id });
  }
  return t("case.statusOpen");
}
export function shortId(caseId) {
  return String(caseId).replace(/^case-/, "");
}
export function whoOf(turn) {
  if (turn.role === "BACKOFFICE_USER") return t("turn.official", { name: turn.author || t("role.BACKOFFICE_USER") });
  return t(has(`role.${turn.role}`) ? `role.${turn.role}` : "role.UNKNOWN");
}

/** One turn of the conversation as a list item; ``at`` keeps them in time order. */
export function turnElement(turn) {
  const li = document.createElement("li");
  li.dataset.at = turn.at || "";
  const by = document.createElement("div");
  by.className = "by";
  const who = document.createElement("b");
  const text = document.createElement("p");
  if (turn.kind === "message") {
    li.className = `turn ${turn.role === "BOT" ? "bot" : turn.role === "BACKOFFICE_USER" ? "official" : "citizen"}`;
    who.textContent = whoOf(turn);
    text.textContent = turn.text;
  } else {
    li.className = "turn note";
    if (turn.kind === "intent") {
      li.classList.add("intent");
      if (turn.confidence < 0.5) li.classList.add("unsure");
      who.textContent = t("role.BOT");
      const confidence = new Intl.NumberFormat(locale(), { style: "percent" }).format(turn.confidence || 0);
      text.textContent = t("turn.intent", { intent: turn.intent, confidence });
    } else if (turn.kind === "handoff") {
      const key = `turn.handoff.${turn.requested_by}`;
      text.textContent = t(has(key) ? key : "turn.handoff.other");
    } else {
      text.textContent = t("turn.takenOver", { name: turn.author || "" });
    }
  }
  if (who.textContent) by.append(who);
  if (turn.at) {
    const time = document.createElement("time");
    time.dateTime = turn.at;
    time.textContent = clock(turn.at);
    by.append(time);
  }
  li.append(by, text);
  return li;
}

