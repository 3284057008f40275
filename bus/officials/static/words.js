// The console's words and times: one message catalogue (messages.json), the browser's
// language unless the official chose another, times in the browser's time zone.
export const LANGUAGES = ["en", "et"];

let catalogue = { en: {} };
let lang = "en";

export async function loadCatalogue() {
  try {
    const response = await fetch("/static/messages.json");
    catalogue = await response.json();
  } catch {
    catalogue = { en: {} };
  }
}
export function language() {
  return lang;
}
export function setLanguage(code) {
  lang = LANGUAGES.includes(code) ? code : "en";
}
export function nameOf(code) {
  return catalogue[code]?.["language.name"] || code;
}
export function has(key) {
  return key in (catalogue[lang] || {}) || key in catalogue.en;
}
export function t(key, vars = {}) {
  const text = (catalogue[lang] || {})[key] ?? catalogue.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (all, name) => (name in vars ? String(vars[name]) : all));
}
export function plural(key, count) {
  const form = `${key}.${new Intl.PluralRules(lang).select(count)}`;
  return t(has(form) ? form : `${key}.other`, { count });
}
export function pickLanguage() {
  const chosen = localStorage.getItem("console.language");
  if (LANGUAGES.includes(chosen)) return chosen;
  for (const wanted of navigator.languages || [navigator.language]) {
    const base = String(wanted).toLowerCase().split("-")[0];
    if (LANGUAGES.includes(base)) return base;
  }
  return "en";
}

/** The browser's own locale where it speaks the chosen language (en-GB: 24-hour clock). */
export function locale() {
  for (const wanted of navigator.languages || [navigator.language]) {
    if (String(wanted).toLowerCase().split("-")[0] === lang) return wanted;
  }
  return lang;
}
export function unit(value, name) {
  return new Intl.NumberFormat(locale(), { style: "unit", unit: name, unitDisplay: "short" }).format(value);
}
/** "12 min", "3 min 20 sec", "2 hr 5 min"; ``coarse`` leaves out the seconds past a minute. */
export function duration(ms, coarse = false) {
  const seconds = Math.max(0, Math.round(Math.abs(ms) / 1000));
  if (seconds < 60) return unit(seconds, "second");
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10 && !coarse) return `${unit(minutes, "minute")} ${unit(seconds % 60, "second")}`;
  if (minutes < 60) return unit(minutes, "minute");
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${unit(hours, "hour")} ${unit(minutes % 60, "minute")}`;
  return unit(Math.floor(hours / 24), "day");
}
export function clock(iso) {
  const moment = new Date(iso);
  const today = moment.toDateString() === new Date().toDateString();
  const style = today ? { timeStyle: "short" } : { dateStyle: "medium", timeStyle: "short" };
  return new Intl.DateTimeFormat(locale(), style).format(moment);
}
export function ago(iso) {
  const seconds = Math.round((Date.parse(iso) - Date.now()) / 1000);
  const format = new Intl.RelativeTimeFormat(locale(), { numeric: "auto" });
  if (Math.abs(seconds) < 60) return t("time.now");
  if (Math.abs(seconds) < 3600) return format.format(Math.round(seconds / 60), "minute");
  if (Math.abs(seconds) < 172800) return format.format(Math.round(seconds / 3600), "hour");
  return format.format(Math.round(seconds / 86400), "day");
}
