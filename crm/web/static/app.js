// Shared by every console: JSON calls, the live WebSocket, emergency banner, small helpers.
"use strict";
// The page's texts and who is signed in, from the page's JSON block (the pages carry no inline
// script: the Content-Security-Policy allows only our own script files).
{
  const data = JSON.parse(document.getElementById("page-data").textContent);
  window.T = data.T; window.ME = data.ME;
}
const $ = (sel, root = document) => root.querySelector(sel);
const el = (tag, attrs = {}, ...kids) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== null && v !== undefined && v !== false) node.setAttribute(k, v);
  }
  for (const kid of kids.flat()) node.append(kid instanceof Node ? kid : document.createTextNode(kid ?? ""));
  return node;
};
// Every refusal and failure as a sentence in Chinese: the server's own message when it gave
// one, "network down" when the request never reached it (the browser's "Failed to fetch").
async function api(method, path, body) {
  let res;
  try {
    res = await fetch(path, {
      method, credentials: "same-origin",
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    const error = new Error(T.network_error); error.network = true; throw error;
  }
  if (res.status === 401) { location.href = "/web/login?next=" + location.pathname; throw new Error(T.not_signed_in); }
  let data;
  try { data = res.headers.get("content-type")?.includes("json") ? await res.json() : await res.text(); }
  catch (e) { data = {}; }
  if (!res.ok) {
    const error = new Error((data && data.error) || (res.status >= 500 ? T.server_error : T.error));
    error.data = data; error.status = res.status; throw error;
  }
  return data;
}
// A short message at the top of the page (not a modal dialog: it would block the console and every call on
// it until someone clicks). Errors stay until dismissed or replaced; others fade.
function notify(message, kind = "error") {
  let box = $("#toast");
  if (!box) { box = el("div", { id: "toast", class: "toast", role: "status", "aria-live": "polite" }); document.body.append(box); }
  box.replaceChildren(el("span", {}, message), el("button", { class: "link", onclick: () => { box.hidden = true; } }, "×"));
  box.dataset.kind = kind;
  box.hidden = false;
  clearTimeout(notify.timer);
  if (kind !== "error") notify.timer = setTimeout(() => { box.hidden = true; }, 5000);
}
// The hotline's clock (China time) whatever the browser's own zone: ticket numbers, deadlines
// and the ledger all count in it.
const HOTLINE_ZONE = "Asia/Shanghai";
const fmtTime = (iso) => iso ? new Date(iso).toLocaleString("zh-CN", { hour12: false, timeZone: HOTLINE_ZONE }) : "";
const fmtSecs = (s) => s == null ? "—" : s < 60 ? `${s}${T.seconds}` : s < 3600 ? `${Math.floor(s / 60)}${T.minutes}${s % 60}${T.seconds}` : `${Math.floor(s / 3600)}${T.hours}${Math.floor((s % 3600) / 60)}${T.minutes}`;

// One WebSocket per page; handlers by frame type. Reconnects by itself.
const Live = {
  handlers: {}, frames: [],
  on(type, fn) { (this.handlers[type] ||= []).push(fn); },
  connect() {
    const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/web/ws`);
    const dot = $("#link-state");
    ws.onopen = () => { dot && (dot.className = "dot on"); };
    ws.onmessage = (ev) => {
      const frame = JSON.parse(ev.data);
      Live.frames.push(ev.data);  // kept for the tests' payload checks
      for (const fn of Live.handlers[frame.type] || []) fn(frame);
    };
    ws.onclose = () => { dot && (dot.className = "dot off"); setTimeout(() => Live.connect(), 1000); };
    this.ws = ws;
  },
};
Live.on("emergency", ({ alert }) => {
  const bar = $("#emergency-bar");
  bar.replaceChildren(
    el("span", {}, `⚠ ${T.emergency_alert}`),
    alert.failed ? el("strong", { class: "failed" }, alert.failed) : "",
    el("span", {}, alert.caller_number || ""),
    el("span", {}, alert.ticket || ""),
    el("span", {}, fmtTime(alert.started_at)),
    el("button", { class: "link", style: "color:#fff", onclick: () => { bar.hidden = true; } }, "×"),
  );
  bar.hidden = false;
});
document.addEventListener("DOMContentLoaded", () => { if (window.ME) Live.connect(); });
