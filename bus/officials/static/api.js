// The officials' API: each call with the official's token; each refusal in words.
import { has, t } from "./words.js";

export const session = { token: sessionStorage.getItem("token") || "" };

export async function call(method, path, body) {
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: { Authorization: `Bearer ${session.token}`, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
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
export function describe(error) {
  if (error.network) return t("error.network");
  const reason = error.body && error.body.error;
  if (reason === "already-claimed") {
    const name = error.body.holder_name;
    return name ? t("error.already-claimed", { name }) : t("error.already-claimed.unknown");
  }
  if (reason && has(`error.${reason}`)) return t(`error.${reason}`);
  return t("error.generic", { status: error.status || "?", detail: (error.body && error.body.detail) || error.message });
}

