// 成员单位: the unit's own work orders with their deadline counting down, one order with its
// chases (催单) and dispatch notes, and the unit's reply. Errors show beside what caused them.
"use strict";
let VIEW = "open";
let LOADED_AT = Date.now();
const REFRESH_MS = 60000;
const CACHE = new Map();  // the loaded rows by ticket id, for the countdowns

// 天/小时/分钟: a unit's limits run to days (a complaint's 3 days 22 h, a report's 10 working days).
function fmtLeft(s) {
  const a = Math.abs(s);
  const d = Math.floor(a / 86400), h = Math.floor((a % 86400) / 3600), m = Math.floor((a % 3600) / 60);
  const text = d ? `${d}${T.days}${h}${T.hours}` : h ? `${h}${T.hours}${m}${T.minutes}` : `${m}${T.minutes}`;
  return s < 0 ? `${T.overdue} ${text}` : text;
}

function leftNow(wo) {
  if (wo.seconds_left == null) return "—";
  if (!wo.awaiting_reply) return T.replied;
  return fmtLeft(wo.seconds_left - Math.floor((Date.now() - LOADED_AT) / 1000));
}

const stageName = (stage) => T[`stage_${stage}`] || stage;

function showError(where, e) {
  where.className = "error";
  where.textContent = e.message || T.error;
}

async function load() {
  const note = $("#inbox-error");
  try {
    const rows = await api("GET", `/web/api/unit/orders?view=${VIEW}`);
    LOADED_AT = Date.now();
    CACHE.clear();
    for (const o of rows) CACHE.set(o.ticket_id, o);
    note.textContent = "";
    $("#orders").replaceChildren(...(rows.length ? rows.map(row) : [el("tr", {}, el("td", { colspan: 7, class: "muted" }, T.no_unit_orders))]));
  } catch (e) { showError(note, e); }
}

function row(o) {
  const wo = o.work_order;
  const late = wo.awaiting_reply && wo.seconds_left != null && wo.seconds_left < 0;
  return el("tr", { "data-ticket": o.number, "data-id": o.ticket_id, class: late ? "late" : "" },
    el("td", {}, o.number),
    el("td", {}, o.call_type_label),
    el("td", {}, o.status_label),
    el("td", {}, stageName(wo.stage), el("br"), el("span", { class: "muted" }, fmtTime(wo.due))),
    el("td", { class: late ? "error left" : "left", "data-left": "1" }, leftNow(wo), o.deadlines_provisional ? el("span", { class: "chip provisional", title: T.provisional_hint }, T.provisional) : ""),
    el("td", {}, o.chases ? el("span", { class: "chip warn-chip", "data-chases": o.chases }, T.chases_n.replace("{n}", o.chases)) : ""),
    el("td", {}, el("button", { "data-action": "open", onclick: () => openOrder(o.ticket_id) }, T.open)));
}

function tick() {
  // Only the countdowns move between loads; the list itself is fetched again every minute.
  for (const cell of document.querySelectorAll("#orders td[data-left]")) {
    const id = Number(cell.parentElement.dataset.id);
    const o = CACHE.get(id);
    if (o) cell.firstChild.textContent = leftNow(o.work_order);
  }
}

async function openOrder(ticketId) {
  const card = $("#order");
  card.replaceChildren(T.loading);
  history.replaceState(null, "", `/web/unit?order=${ticketId}`);
  let o;
  try { o = await api("GET", `/web/api/unit/orders/${ticketId}`); }
  catch (e) {
    card.replaceChildren(el("p", { class: "error", id: "order-error" }, e.message || T.error));
    return;
  }
  const notes = [...new Set(o.work_orders.flatMap((w) => w.notes || []))];
  const replies = o.work_orders.flatMap((w) => w.replies || []);
  // replaceChildren does not flatten: the optional sections are arrays.
  card.replaceChildren(...[
    el("h2", {}, `${T.ticket_number} ${o.number}`, " ", el("span", { class: "badge" }, o.status_label)),
    el("dl", { class: "facts" },
      el("dt", {}, T.call_type), el("dd", {}, o.call_type_label),
      el("dt", {}, T.content), el("dd", { id: "order-question" }, o.question || ""),
      o.location ? [el("dt", {}, T.location), el("dd", {}, o.location)] : [],
      o.target ? [el("dt", {}, T.target), el("dd", {}, o.target)] : [],
      el("dt", {}, T.contact), el("dd", {}, o.contact_number || o.caller_number || ""),
      el("dt", {}, T.deadline), el("dd", {}, ...Object.entries(o.deadlines).map(([k, d]) =>
        el("div", { class: d.overdue ? "error" : "" }, `${stageName(k)}：${fmtTime(d.due)}（${fmtLeft(d.seconds_left)}）`)))),
    notes.length ? [el("h3", {}, T.dispatch_notes), el("ul", { class: "list small" }, ...notes.map((n) => el("li", {}, n)))] : [],
    el("h3", {}, T.chases),
    o.chases.length
      ? el("ul", { class: "list small", id: "order-chases" }, ...o.chases.map((c) => el("li", {}, `${fmtTime(c.at)} ${c.note || ""}`)))
      : el("p", { class: "muted", id: "order-chases" }, T.no_chases),
    replies.length ? [el("h3", {}, T.earlier_replies), el("ul", { class: "list small" }, ...replies.map((r) => el("li", {}, `${fmtTime(r.replied_at)} ${r.content}`)))] : [],
    o.awaiting_reply ? replyForm(o) : "",
  ].flat());
}

function replyForm(o) {
  const content = el("textarea", { id: "reply-content", rows: 4, maxlength: 4000 });
  const person = el("input", { id: "reply-person", maxlength: 64 });
  const note = el("p", { id: "reply-result", class: "error" });
  const send = el("button", { class: "primary", "data-action": "reply", type: "button" }, T.send_reply);
  send.addEventListener("click", async () => {
    if (!content.value.trim()) { note.className = "error"; note.textContent = `${T.unit_reply_content}：${T.required}`; return; }
    send.disabled = true;
    note.textContent = "";
    try {
      await api("POST", `/web/api/unit/orders/${o.ticket_id}/reply`, { content: content.value, answered_by: person.value || null });
      note.className = "ok"; note.textContent = T.reply_sent;
      form.querySelectorAll("textarea, input, button").forEach((n) => { n.disabled = true; });
      load();
    } catch (e) { showError(note, e); send.disabled = false; }
  });
  const form = el("div", { class: "form", id: "reply-form" },
    el("label", { class: "wide required" }, el("span", {}, T.unit_reply_content), content),
    el("label", {}, el("span", {}, T.reply_person), person),
    el("div", { class: "wide buttons" }, send), el("div", { class: "wide" }, note));
  return form;
}

document.addEventListener("DOMContentLoaded", async () => {
  const views = [["open", "unit_inbox"], ["all", "unit_all"]];
  const head = ["ticket_number", "call_type", "status", "stage", "time_left", "chases", "actions"];
  $("#unit-root").replaceChildren(el("div", { class: "two" },
    el("section", { class: "card" },
      el("div", { class: "buttons", id: "views" }, ...views.map(([v, k]) => el("button", { "data-view": v, class: v === VIEW ? "primary" : "", onclick: (ev) => {
        VIEW = v; for (const b of $("#views").children) b.className = b === ev.target ? "primary" : ""; load();
      } }, T[k]))),
      el("p", { id: "inbox-error", class: "error" }),
      el("table", {}, el("thead", {}, el("tr", {}, ...head.map((k) => el("th", {}, T[k])))), el("tbody", { id: "orders" }))),
    el("section", { class: "card", id: "order" }, el("p", { class: "muted" }, T.no_unit_orders))));
  await load();
  const asked = new URLSearchParams(location.search).get("order");
  if (asked && /^[0-9]+$/.test(asked)) await openOrder(Number(asked));
  setInterval(tick, 15000);
  setInterval(load, REFRESH_MS);
  document.body.dataset.ready = "1";
});
