// The officials' console: plain script, no build step. Words come from messages.json.
"use strict";

const POLL_MS = 2000;
const PARAMS = new URLSearchParams(location.search);
const IDLE_AFTER_S = Number(PARAMS.get("idle")) || 300; // away after five quiet minutes
const LANGUAGES = ["en", "et"];
const RESOLUTION_DEFAULT = "ACCEPTED";

let catalogue = { en: {} };
let lang = "en";
let token = sessionStorage.getItem("token") || "";
let me = null;
let cases = [];
let known = null; // case ids seen in the queue, to tell a new case
let selected = null;
let current = null; // { case, turns } of the selected case
let shown = new Set(); // event ids in the conversation on screen
let pollTimer = null;
let tickTimer = null;
let statusTimer = null;
let networkTrouble = false;
let presence = "offline";
let autoIdle = false;
let lastActivity = Date.now();
let busy = false;

const $ = (id) => document.getElementById(id);

// ---- words ----------------------------------------------------------------
function has(key) {
  return key in (catalogue[lang] || {}) || key in catalogue.en;
}
function t(key, vars = {}) {
  const text = (catalogue[lang] || {})[key] ?? catalogue.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (all, name) => (name in vars ? String(vars[name]) : all));
}
function plural(key, count) {
  const form = `${key}.${new Intl.PluralRules(lang).select(count)}`;
  return t(has(form) ? form : `${key}.other`, { count });
}
function pickLanguage() {
  const chosen = localStorage.getItem("console.language");
  if (LANGUAGES.includes(chosen)) return chosen;
  for (const wanted of navigator.languages || [navigator.language]) {
    const base = String(wanted).toLowerCase().split("-")[0];
    if (LANGUAGES.includes(base)) return base;
  }
  return "en";
}
function applyWords() {
  document.documentElement.lang = lang;
  document.title = t("app.title");
  for (const element of document.querySelectorAll("[data-i18n]")) {
    element.textContent = t(element.dataset.i18n);
  }
  for (const element of document.querySelectorAll("[data-i18n-aria-label]")) {
    element.setAttribute("aria-label", t(element.dataset.i18nAriaLabel));
  }
  const select = $("language");
  select.replaceChildren(
    ...LANGUAGES.map((code) => {
      const option = new Option(catalogue[code]?.["language.name"] || code, code, false, code === lang);
      option.lang = code;
      return option;
    }),
  );
  if (me) fillMe();
}

// ---- times ----------------------------------------------------------------
/** The browser's own locale where it speaks the chosen language (en-GB: 24-hour clock). */
function locale() {
  for (const wanted of navigator.languages || [navigator.language]) {
    if (String(wanted).toLowerCase().split("-")[0] === lang) return wanted;
  }
  return lang;
}
function unit(value, name) {
  return new Intl.NumberFormat(locale(), { style: "unit", unit: name, unitDisplay: "short" }).format(value);
}
function duration(ms) {
  const seconds = Math.max(0, Math.round(Math.abs(ms) / 1000));
  if (seconds < 60) return unit(seconds, "second");
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return `${unit(minutes, "minute")} ${unit(seconds % 60, "second")}`;
  if (minutes < 60) return unit(minutes, "minute");
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${unit(hours, "hour")} ${unit(minutes % 60, "minute")}`;
  return unit(Math.floor(hours / 24), "day");
}
function clock(iso) {
  const moment = new Date(iso);
  const today = moment.toDateString() === new Date().toDateString();
  const style = today ? { timeStyle: "short" } : { dateStyle: "medium", timeStyle: "short" };
  return new Intl.DateTimeFormat(locale(), style).format(moment);
}
function ago(iso) {
  const seconds = Math.round((Date.parse(iso) - Date.now()) / 1000);
  const format = new Intl.RelativeTimeFormat(locale(), { numeric: "auto" });
  if (Math.abs(seconds) < 60) return t("time.now");
  if (Math.abs(seconds) < 3600) return format.format(Math.round(seconds / 60), "minute");
  if (Math.abs(seconds) < 172800) return format.format(Math.round(seconds / 3600), "hour");
  return format.format(Math.round(seconds / 86400), "day");
}
/** The first answer's service level: its words and its colour. */
function due(c) {
  if (c.answered) return { kind: "done", text: t("due.answered") };
  const deadline = Date.parse(c.first_response_due);
  const left = deadline - Date.now();
  if (c.breached || left <= 0) return { kind: "missed", text: `${t("due.missed")}: ${t("due.missedAgo", { time: duration(left) })}` };
  const whole = deadline - Date.parse(c.opened_at);
  const soon = left <= Math.max(2 * 60_000, whole / 4);
  return { kind: soon ? "soon" : "", text: t("due.in", { time: duration(left) }) };
}
function badge(c) {
  const state = due(c);
  const span = document.createElement("span");
  span.className = `badge ${state.kind}`;
  span.textContent = state.text;
  return span;
}

// ---- plain words for the machine's ----------------------------------------
function reasonOf(c) {
  const byPolicy = `reason.${c.policy}`;
  return has(byPolicy) ? t(byPolicy) : t(has(`trigger.${c.trigger}`) ? `trigger.${c.trigger}` : "trigger.OTHER");
}
function authorityName(code) {
  return (me && me.authorities && me.authorities[code]) || code;
}
function statusOf(c) {
  if (c.status === "resolved") return t("case.statusResolved");
  if (c.status === "claimed") {
    return c.official_id === me.id ? t("case.statusMine") : t("case.statusClaimedBy", { name: c.official_name || c.official_id });
  }
  return t("case.statusOpen");
}
function shortId(caseId) {
  return String(caseId).replace(/^case-/, "");
}
function whoOf(turn) {
  if (turn.role === "BACKOFFICE_USER") return t("turn.official", { name: turn.author || t("role.BACKOFFICE_USER") });
  return t(has(`role.${turn.role}`) ? `role.${turn.role}` : "role.UNKNOWN");
}

// ---- the API ----------------------------------------------------------------
async function call(method, path, body) {
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (cause) {
    const error = new Error("network");
    error.network = true;
    throw error;
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(data.detail || data.error || response.statusText);
    error.status = response.status;
    error.body = data;
    throw error;
  }
  return data;
}
function describe(error) {
  if (error.network) return t("error.network");
  const reason = error.body && error.body.error;
  if (reason === "already-claimed") {
    const name = error.body.holder_name;
    return name ? t("error.already-claimed", { name }) : t("error.already-claimed.unknown");
  }
  if (reason && has(`error.${reason}`)) return t(`error.${reason}`);
  return t("error.generic", { status: error.status || "?", detail: (error.body && error.body.detail) || error.message });
}

// ---- notices ----------------------------------------------------------------
function showError(text) {
  $("notice").textContent = text || "";
}
function say(text) {
  clearTimeout(statusTimer);
  $("status").textContent = text || "";
  if (text) statusTimer = setTimeout(() => ($("status").textContent = ""), 10_000);
}

// ---- signing in and out -------------------------------------------------------
function fillMe() {
  const who = $("who");
  who.replaceChildren(document.createTextNode(me.name + " "));
  const small = document.createElement("small");
  small.textContent = `· ${authorityName(me.authority)}`;
  who.append(small);
  $("transfer-to").replaceChildren(...me.transfer_to.map((code) => new Option(authorityName(code), code)));
  const chosen = $("resolution").value || RESOLUTION_DEFAULT;
  $("resolution").replaceChildren(...me.resolutions.map((r) => new Option(t(`resolution.${r}`), r, false, r === chosen)));
}

async function signIn() {
  me = await call("GET", "/api/me");
  sessionStorage.setItem("token", token);
  fillMe();
  $("sign-in-view").hidden = true;
  $("views").hidden = false;
  $("nav-supervisor").hidden = !me.supervisor;
  $("presence-field").hidden = false;
  $("sign-out").hidden = false;
  known = null;
  await setPresence("online", false);
  route();
  await refresh();
  schedule();
  clearInterval(tickTimer);
  tickTimer = setInterval(tick, 1000);
}

function showSignIn(message) {
  $("sign-in-view").hidden = false;
  $("work-view").hidden = true;
  $("supervisor-view").hidden = true;
  $("views").hidden = true;
  $("presence-field").hidden = true;
  $("sign-out").hidden = true;
  $("who").textContent = "";
  if (message) say(message);
}

async function signOut() {
  clearTimeout(pollTimer);
  clearInterval(tickTimer);
  pollTimer = null;
  try {
    await call("PUT", "/api/presence", { presence: "offline" });
  } catch (error) {
    /* signing out goes on: the token is forgotten either way */
  }
  token = "";
  me = null;
  sessionStorage.removeItem("token");
  selected = null;
  current = null;
  cases = [];
  $("cases").replaceChildren();
  showCase(null);
  showError("");
  $("token").value = "";
  showSignIn(t("signIn.signedOut"));
  $("token").focus();
}

// ---- presence -----------------------------------------------------------------
async function setPresence(value, automatic) {
  presence = value;
  autoIdle = automatic;
  $("presence").value = value;
  $("presence-dot").className = `dot ${value}`;
  try {
    await call("PUT", "/api/presence", { presence: value });
  } catch (error) {
    showError(describe(error));
  }
}
function active() {
  lastActivity = Date.now();
  if (autoIdle && me) {
    setPresence("online", false);
    say(t("presence.back"));
  }
}

// ---- the views ------------------------------------------------------------------
function route() {
  if (!me) return;
  const supervising = location.hash === "#supervisor" && me.supervisor;
  $("work-view").hidden = supervising;
  $("supervisor-view").hidden = !supervising;
  $("nav-queue").removeAttribute("aria-current");
  $("nav-supervisor").removeAttribute("aria-current");
  $(supervising ? "nav-supervisor" : "nav-queue").setAttribute("aria-current", "page");
  if (supervising) loadSupervisor().catch((error) => showError(describe(error)));
  if (location.hash === "#queue" && window.matchMedia("(max-width: 55.99rem)").matches) {
    $("queue-title").focus();
  }
}

function schedule() {
  clearTimeout(pollTimer);
  pollTimer = setTimeout(async () => {
    await refresh();
    if (me) schedule();
  }, POLL_MS);
}

async function refresh() {
  if (!me) return;
  try {
    const body = await call("GET", "/api/cases");
    cases = body.cases;
    renderQueue();
    if (selected) await loadCase();
    if (!$("supervisor-view").hidden) await loadSupervisor();
    if (networkTrouble) showError("");
    networkTrouble = false;
  } catch (error) {
    if (error.status === 401) {
      me = null;
      token = "";
      sessionStorage.removeItem("token");
      showSignIn();
      $("login-error").textContent = t("error.unauthenticated");
      return;
    }
    networkTrouble = Boolean(error.network);
    showError(describe(error));
  }
}

function tick() {
  if (!me) return;
  for (const li of $("cases").children) {
    const c = cases.find((one) => one.case_id === li.dataset.caseId);
    if (c) li.querySelector(".badge").replaceWith(badge(c));
  }
  if (current) fillDue(current.case);
  if (presence === "online" && Date.now() - lastActivity > IDLE_AFTER_S * 1000) {
    setPresence("idle", true);
    say(t("presence.autoIdle", { minutes: duration(IDLE_AFTER_S * 1000) }));
  }
}

// ---- the queue --------------------------------------------------------------------
function renderQueue() {
  const list = $("cases");
  const rows = new Map([...list.children].map((li) => [li.dataset.caseId, li]));
  const fresh = known === null ? [] : cases.filter((c) => !known.has(c.case_id));
  known = new Set(cases.map((c) => c.case_id));
  cases.forEach((c, index) => {
    let li = rows.get(c.case_id);
    if (!li) {
      li = document.createElement("li");
      li.dataset.caseId = c.case_id;
      const button = document.createElement("button");
      button.type = "button";
      button.className = "case-row";
      button.addEventListener("click", () => choose(c.case_id, true));
      li.append(button);
    }
    fillRow(li.firstElementChild, c);
    rows.delete(c.case_id);
    if (list.children[index] !== li) list.insertBefore(li, list.children[index] || null);
  });
  for (const gone of rows.values()) gone.remove();
  $("queue-count").textContent = `(${plural("queue.count", cases.length)})`;
  $("queue-empty").hidden = cases.length > 0;
  $("cases").setAttribute("aria-label", t("queue.label", { authority: authorityName(me.authority) }));
  if (fresh.length) say(fresh.map((c) => t("queue.newCase", { reason: reasonOf(c) })).join(" "));
}

function fillRow(button, c) {
  const line = document.createElement("span");
  line.className = "line";
  const reason = document.createElement("span");
  reason.className = "reason";
  reason.textContent = reasonOf(c);
  line.append(reason, badge(c));
  const parts = [line];
  if (c.preview) {
    const preview = document.createElement("span");
    preview.className = "preview";
    preview.textContent = `“${c.preview}”`;
    parts.push(preview);
  }
  const holder = document.createElement("span");
  holder.className = "who-has";
  holder.textContent = c.status === "claimed"
    ? (c.official_id === me.id ? t("queue.yours") : t("queue.claimedBy", { name: c.official_name || c.official_id }))
    : (c.waiting ? t(`waiting.${c.waiting}`) : t("queue.open"));
  parts.push(holder);
  button.replaceChildren(...parts);
  if (c.case_id === selected) button.setAttribute("aria-current", "true");
  else button.removeAttribute("aria-current");
}

// ---- one case ---------------------------------------------------------------------
async function choose(caseId, focus) {
  if (selected !== caseId) {
    selected = caseId;
    current = null;
    shown = new Set();
    $("conversation").replaceChildren();
    $("reply").value = "";
  }
  showError("");
  renderQueue();
  try {
    await loadCase();
  } catch (error) {
    showError(describe(error));
  }
  if (focus) $("case-title").focus();
}

async function loadCase() {
  const id = selected;
  let body;
  try {
    body = await call("GET", `/api/cases/${encodeURIComponent(id)}`);
  } catch (error) {
    if (id === selected && (error.status === 403 || error.status === 404)) {
      selected = null; // transferred away or gone
      showCase(null);
      return;
    }
    throw error;
  }
  if (id !== selected) return;
  const first = current === null;
  current = body;
  showCase(body.case);
  renderTurns(body.case, body.turns, first);
}

function showCase(c) {
  $("no-case").hidden = Boolean(c);
  $("case").hidden = !c;
  if (!c) {
    current = null;
    shown = new Set();
    $("conversation").replaceChildren();
    return;
  }
  $("case-title").textContent = t("case.title", { id: shortId(c.case_id) });
  $("fact-reason").textContent = reasonOf(c);
  $("fact-status").textContent = statusOf(c);
  $("fact-opened").textContent = `${clock(c.opened_at)} (${ago(c.opened_at)})`;
  fillDue(c);
  $("fact-waiting-row").hidden = !c.waiting;
  $("fact-waiting").textContent = c.waiting ? t(`waiting.${c.waiting}`) : "";
  const can = c.can || {};
  const enable = (id, allowed) => {
    $(id).disabled = busy || !allowed;
  };
  enable("claim", can.claim);
  enable("release", can.release);
  enable("transfer", can.transfer && me.transfer_to.length > 0);
  enable("transfer-to", can.transfer && me.transfer_to.length > 0);
  enable("resolve", can.resolve);
  enable("resolution", can.resolve);
  enable("reply", can.reply);
  enable("send", can.reply);
  let hint = "";
  if (c.status === "claimed" && c.official_id !== me.id) hint = t("case.claimedByOther", { name: c.official_name || c.official_id });
  else if (c.status !== "resolved" && !can.reply) hint = t("case.claimFirst");
  $("action-hint").textContent = hint;
}

function fillDue(c) {
  const cell = $("fact-due");
  const parts = [badge(c)];
  if (!c.answered) parts.push(document.createTextNode(` ${t("due.at", { time: clock(c.first_response_due) })}`));
  cell.replaceChildren(...parts);
}

function turnElement(turn) {
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

function renderTurns(c, turns, first) {
  const list = $("conversation");
  const intents = c.trigger === "LOW_CONFIDENCE";
  const fresh = [];
  for (const turn of turns) {
    if (shown.has(turn.event_id)) continue;
    shown.add(turn.event_id);
    if (turn.kind === "intent" && !intents) continue;
    const li = turnElement(turn);
    const later = [...list.children].find((other) => other.dataset.at > (turn.at || ""));
    list.insertBefore(li, later || null);
    const mine = turn.role === "BACKOFFICE_USER" && turn.author === me.name;
    if (!first && turn.kind === "message" && !mine) fresh.push(turn);
  }
  $("conversation-empty").hidden = list.children.length > 0;
  if (fresh.length) {
    $("announcer").textContent = fresh.map((turn) => t("turn.new", { who: whoOf(turn), text: turn.text })).join(" ");
  }
}

// ---- actions -------------------------------------------------------------------------
async function act(action, body) {
  const id = selected;
  if (!id) return false;
  showError("");
  busy = true;
  if (current) showCase(current.case);
  let done = false;
  try {
    await call("POST", `/api/cases/${encodeURIComponent(id)}/${action}`, body || {});
    done = true;
    const to = body && body.to_authority ? authorityName(body.to_authority) : "";
    say(t(`done.${action}`, { authority: to }));
  } catch (error) {
    showError(describe(error));
  } finally {
    busy = false;
  }
  await refresh();
  if (current) showCase(current.case);
  return done;
}

async function claim() {
  if (await act("claim")) $("reply").focus();
  else if (current && current.case.can.claim) $("claim").focus();
  else $("case-title").focus();
}
async function release() {
  await act("release");
  (current && current.case.can.claim ? $("claim") : $("case-title")).focus();
}
async function transfer() {
  if (await act("transfer", { to_authority: $("transfer-to").value })) {
    selected = null;
    showCase(null);
    renderQueue();
    $("queue-title").focus();
  } else {
    $("case-title").focus();
  }
}
function askResolve() {
  const label = $("resolution").selectedOptions[0]?.textContent || "";
  $("confirm-text").textContent = t("confirm.text", { resolution: label });
  $("confirm").returnValue = "";
  $("confirm").showModal();
}
async function resolve() {
  if (await act("resolve", { resolution: $("resolution").value })) {
    selected = null;
    showCase(null);
    renderQueue();
    $("queue-title").focus();
  } else {
    $("case-title").focus();
  }
}
async function send(event) {
  event.preventDefault();
  const text = $("reply").value;
  if (!text.trim()) {
    showError(t("case.replyEmpty"));
    $("reply").focus();
    return;
  }
  if (await act("reply", { text })) $("reply").value = "";
  $("reply").focus();
}

// ---- the supervisor's figures -----------------------------------------------------------
async function loadSupervisor() {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  const figures = await call("GET", `/api/supervisor?tz=${encodeURIComponent(zone)}`);
  $("supervisor-title").textContent = t("supervisor.title", { authority: authorityName(figures.authority) });
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

// ---- wiring ---------------------------------------------------------------------------------
function wire() {
  $("login").addEventListener("submit", async (event) => {
    event.preventDefault();
    const given = $("token").value.trim();
    $("login-error").textContent = "";
    $("token").removeAttribute("aria-invalid");
    if (!given) {
      $("login-error").textContent = t("signIn.empty");
      $("token").setAttribute("aria-invalid", "true");
      $("token").focus();
      return;
    }
    token = given;
    try {
      await signIn();
      say("");
      $("main").focus();
    } catch (error) {
      token = "";
      me = null;
      $("login-error").textContent = describe(error);
      $("token").setAttribute("aria-invalid", "true");
      $("token").focus();
    }
  });
  $("language").addEventListener("change", () => {
    lang = $("language").value;
    localStorage.setItem("console.language", lang);
    applyWords();
    if (me) {
      $("cases").replaceChildren();
      renderQueue();
      if (current) {
        shown = new Set();
        $("conversation").replaceChildren();
        showCase(current.case);
        renderTurns(current.case, current.turns, true);
      }
      route();
    }
  });
  $("presence").addEventListener("change", () => setPresence($("presence").value, false));
  $("sign-out").addEventListener("click", signOut);
  $("claim").addEventListener("click", claim);
  $("release").addEventListener("click", release);
  $("transfer").addEventListener("click", transfer);
  $("resolve").addEventListener("click", askResolve);
  $("confirm").addEventListener("close", () => {
    if ($("confirm").returnValue === "ok") resolve();
  });
  $("reply-form").addEventListener("submit", send);
  $("reply").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) $("reply-form").requestSubmit();
  });
  window.addEventListener("hashchange", route);
  for (const kind of ["pointerdown", "pointermove", "keydown", "wheel", "touchstart"]) {
    window.addEventListener(kind, active, { passive: true });
  }
  window.addEventListener("pagehide", () => {
    if (!token || !me) return;
    fetch("/api/presence", {
      method: "PUT",
      keepalive: true,
      body: JSON.stringify({ presence: "offline" }),
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    });
  });
}

async function start() {
  try {
    const response = await fetch("/static/messages.json");
    catalogue = await response.json();
  } catch (error) {
    catalogue = { en: {} };
  }
  lang = pickLanguage();
  applyWords();
  wire();
  if (token) {
    try {
      await signIn();
      return;
    } catch (error) {
      token = "";
      sessionStorage.removeItem("token");
      $("login-error").textContent = describe(error);
    }
  }
  showSignIn();
}

start();
