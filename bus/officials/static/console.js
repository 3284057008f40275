// The officials' console: a module per concern, no build step. Words come from messages.json.
import { call, describe, session } from "./api.js";
import { loadSupervisor } from "./supervisor.js";
import {
  authorityName,
  badge,
  reasonOf,
  shortId,
  statusOf,
  turnElement,
  whoOf,
} from "./turns.js";
import {
  LANGUAGES,
  ago,
  clock,
  duration,
  language,
  loadCatalogue,
  nameOf,
  pickLanguage,
  plural,
  setLanguage,
  t,
} from "./words.js";

const POLL_MS = 2000;
const PARAMS = new URLSearchParams(location.search);
const IDLE_AFTER_S = Number(PARAMS.get("idle")) || 300; // away after five quiet minutes
const RESOLUTION_DEFAULT = "ACCEPTED";

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
let renewedAt = 0; // when the presence was last said to the API
let busy = false;

const $ = (id) => document.getElementById(id);

function applyWords() {
  document.documentElement.lang = language();
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
      const option = new Option(nameOf(code), code, false, code === language());
      option.lang = code;
      return option;
    }),
  );
  if (me) fillMe();
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
  small.textContent = `· ${authorityName(me, me.authority)}`;
  who.append(small);
  $("transfer-to").replaceChildren(...me.transfer_to.map((code) => new Option(authorityName(me, code), code)));
  const chosen = $("resolution").value || RESOLUTION_DEFAULT;
  $("resolution").replaceChildren(...me.resolutions.map((r) => new Option(t(`resolution.${r}`), r, false, r === chosen)));
}

async function signIn() {
  me = await call("GET", "/api/me");
  sessionStorage.setItem("token", session.token);
  fillMe();
  $("sign-in-view").hidden = true;
  document.body.classList.add("signed-in");
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
  document.body.classList.remove("signed-in");
  $("sign-in-view").hidden = false;
  $("work-view").hidden = true;
  $("supervisor-view").hidden = true;
  $("views").hidden = true;
  $("presence-field").hidden = true;
  $("sign-out").hidden = true;
  $("who").textContent = "";
  document.title = t("app.title");
  if (message) say(message);
}

async function signOut() {
  clearTimeout(pollTimer);
  clearInterval(tickTimer);
  pollTimer = null;
  try {
    await call("PUT", "/api/presence", { presence: "offline" });
  } catch {
    /* signing out goes on: the token is forgotten either way */
  }
  session.token = "";
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
  renewedAt = Date.now();
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
  if (supervising) loadSupervisor(me).catch((error) => showError(describe(error)));
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
    if (!me) return; // signed out meanwhile
    cases = body.cases;
    renderQueue();
    if (selected) await loadCase();
    if (!$("supervisor-view").hidden) await loadSupervisor(me);
    if (networkTrouble) showError("");
    networkTrouble = false;
  } catch (error) {
    if (error.status === 401) {
      me = null;
      session.token = "";
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
    if (c) fillRow(li.firstElementChild, c);
  }
  if (current) fillDue(current.case);
  if (presence === "online" && Date.now() - lastActivity > IDLE_AFTER_S * 1000) {
    setPresence("idle", true);
    say(t("presence.autoIdle", { minutes: duration(IDLE_AFTER_S * 1000) }));
  }
  const renewMs = (me.presence_renew_s || 0) * 1000;
  if (renewMs && presence !== "offline" && Date.now() - renewedAt > renewMs) renewPresence();
}

// The presence is a lease: while the console is open it says it again, so a crashed
// browser or a sleeping laptop lets the official go offline by itself.
async function renewPresence() {
  renewedAt = Date.now();
  try {
    await call("PUT", "/api/presence", { presence });
  } catch {
    /* the next renewal tries again; the lease outlasts two missed ones */
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
  const waiting = cases.filter((c) => c.status === "open").length; // seen from another tab too
  document.title = waiting ? `(${waiting}) ${t("app.title")}` : t("app.title");
  $("cases").setAttribute("aria-label", t("queue.label", { authority: authorityName(me, me.authority) }));
  if (fresh.length) say(fresh.map((c) => t("queue.newCase", { reason: reasonOf(c) })).join(" "));
}

function fillRow(button, c) {
  const badgeNow = badge(c, true);
  const signature = JSON.stringify([c, badgeNow.className, badgeNow.textContent, c.case_id === selected, language()]);
  if (button.dataset.signature === signature) return; // unchanged: a screen reader hears nothing new
  button.dataset.signature = signature;
  const line = document.createElement("span");
  line.className = "line";
  const reason = document.createElement("span");
  reason.className = "reason";
  reason.textContent = reasonOf(c);
  line.append(reason, badgeNow);
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
  if (id !== selected || !me) return;
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
  $("fact-status").textContent = statusOf(c, me);
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
    const to = body && body.to_authority ? authorityName(me, body.to_authority) : "";
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
/** An action after which the case leaves this official's list: the focus goes back to the list. */
async function actAndLeave(action, body) {
  if (await act(action, body)) {
    selected = null;
    showCase(null);
    renderQueue();
    $("queue-title").focus();
  } else {
    $("case-title").focus();
  }
}
function transfer() {
  return actAndLeave("transfer", { to_authority: $("transfer-to").value });
}
function askResolve() {
  const label = $("resolution").selectedOptions[0]?.textContent || "";
  $("confirm-text").textContent = t("confirm.text", { resolution: label });
  $("confirm").returnValue = "";
  $("confirm").showModal();
}
function resolve() {
  return actAndLeave("resolve", { resolution: $("resolution").value });
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
    session.token = given;
    try {
      await signIn();
      say("");
      $("main").focus();
    } catch (error) {
      session.token = "";
      me = null;
      $("login-error").textContent = describe(error);
      $("token").setAttribute("aria-invalid", "true");
      $("token").focus();
    }
  });
  $("language").addEventListener("change", () => {
    setLanguage($("language").value);
    localStorage.setItem("console.language", language());
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
  window.addEventListener("hashchange", () => {
    say(""); // what was said about the other view
    route();
  });
  for (const kind of ["pointerdown", "pointermove", "keydown", "wheel", "touchstart"]) {
    window.addEventListener(kind, active, { passive: true });
  }
  window.addEventListener("pagehide", () => {
    if (!session.token || !me) return;
    fetch("/api/presence", {
      method: "PUT",
      keepalive: true,
      body: JSON.stringify({ presence: "offline" }),
      headers: { Authorization: `Bearer ${session.token}`, "Content-Type": "application/json" },
    });
  });
}

async function start() {
  await loadCatalogue();
  setLanguage(pickLanguage());
  applyWords();
  wire();
  if (session.token) {
    try {
      await signIn();
      return;
    } catch (error) {
      session.token = "";
      sessionStorage.removeItem("token");
      $("login-error").textContent = describe(error);
    }
  }
  showSignIn();
}

start();
