// 回访: orders whose unit replied (tell the caller) and orders whose caller was answered (the
// return visit: reached or not, 满意 / 基本满意 / 不满意, a note). 回拨 rings the visitor's desk
// phone, then the citizen, through the 话务台's call-back. Errors show in the order's row.
"use strict";
let VIEW = "answer";
const LEVELS = ["satisfied", "basically_satisfied", "not_satisfied"];

function fmtLeft(s) {
  if (s == null) return "—";
  const a = Math.abs(s);
  const d = Math.floor(a / 86400), h = Math.floor((a % 86400) / 3600), m = Math.floor((a % 3600) / 60);
  const text = d ? `${d}${T.days}${h}${T.hours}` : h ? `${h}${T.hours}${m}${T.minutes}` : `${m}${T.minutes}`;
  return s < 0 ? `${T.overdue} ${text}` : text;
}

function say(note, ok, text) {
  note.classList.toggle("ok", ok); note.classList.toggle("error", !ok); note.textContent = text;
}

// What the last action did stays above the list, which is loaded again at once (the order
// leaves its queue, or shows its unanswered attempt).
function done(o, text) {
  const note = $("#visits-done");
  note.dataset.ticket = o.number;
  say(note, true, `${T.ticket_number} ${o.number}：${text}`);
  return load();
}

// Every button of a row waits while its request runs.
async function busy(cell, fn) {
  const buttons = [...cell.querySelectorAll("button")];
  buttons.forEach((b) => { b.disabled = true; });
  try { return await fn(); } finally { buttons.forEach((b) => { b.disabled = false; }); }
}

// Only an agent with a desk phone can call out (the call-back rings that extension first).
const mayCallBack = () => ME.roles.includes("agent") && !!ME.extension;

function callBackButton(o, note) {
  if (!mayCallBack()) return "";
  const button = el("button", { "data-action": "call-back", type: "button" }, T.call_back);
  button.addEventListener("click", async () => {
    button.disabled = true;
    try { const r = await api("POST", `/web/api/callbacks/${o.ticket_id}/call`); say(note, true, r.message || T.calling_back); }
    catch (e) { say(note, false, e.message || T.error); }
    finally { button.disabled = false; }
  });
  return button;
}

function answerCell(o, note) {
  const text = el("textarea", { rows: 2, class: "answer-text", maxlength: 4000 }, o.unit_reply || "");
  const send = el("button", { class: "primary", "data-action": "answer", type: "button" }, T.answer_caller);
  const cell = el("td", { class: "visit-actions" }, text, el("div", { class: "buttons" }, send, callBackButton(o, note)), note);
  send.addEventListener("click", () => busy(cell, async () => {
    if (!text.value.trim()) return say(note, false, `${T.answer_result}：${T.required}`);
    try {
      await api("POST", `/web/api/visits/${o.ticket_id}/answer`, { result: text.value });
      done(o, T.answered_caller);
    } catch (e) { say(note, false, e.message || T.error); }
  }));
  return cell;
}

function visitCell(o, note) {
  const name = `visit-${o.ticket_id}`;
  const reached = el("select", { class: "reached" },
    el("option", { value: "1" }, T.visit_reached), el("option", { value: "0" }, T.visit_unreached));
  const levels = el("span", { class: "levels" }, ...LEVELS.map((l) => el("label", { class: "check" },
    el("input", { type: "radio", name, value: l }), T[`level_${l}`])));
  const resolved = el("input", { type: "checkbox", class: "resolved", checked: "checked" });
  const comment = el("input", { class: "comment", placeholder: T.visit_comment, maxlength: 4000 });
  const send = el("button", { class: "primary", "data-action": "visit", type: "button" }, T.record_visit);
  reached.addEventListener("change", () => { levels.hidden = reached.value === "0"; });
  const cell = el("td", { class: "visit-actions" },
    el("div", { class: "buttons" }, reached, levels, el("label", { class: "check" }, resolved, T.visit_resolved)),
    comment, el("div", { class: "buttons" }, send, callBackButton(o, note)), note);
  send.addEventListener("click", () => busy(cell, async () => {
    const isReached = reached.value === "1";
    const level = cell.querySelector(`input[name='${name}']:checked`)?.value || null;
    if (isReached && !level) return say(note, false, T.choose_level);
    try {
      const r = await api("POST", `/web/api/visits/${o.ticket_id}/visit`, {
        reached: isReached, level: isReached ? level : null, resolved: resolved.checked, comment: comment.value || null,
      });
      if (!r.reached) done(o, T.visit_unreached_saved);
      else if (r.reopened_number) done(o, T.visit_reopened.replace("{number}", r.reopened_number));
      else if (r.left_to_leader) done(o, T.visit_left_to_leader);
      else done(o, T.visit_saved);
    } catch (e) { say(note, false, e.message || T.error); }
  }));
  return cell;
}

async function load() {
  const note = $("#visits-error");
  let rows;
  try { rows = await api("GET", `/web/api/visits?view=${VIEW}`); note.textContent = ""; }
  catch (e) { return say(note, false, e.message || T.error); }
  $("#orders").replaceChildren(...(rows.length ? rows.map((o) => {
    const rowNote = el("p", { class: "row-result" });
    const late = o.deadlines.reply?.overdue;
    return el("tr", { "data-ticket": o.number, "data-id": o.ticket_id, class: late ? "late" : "" },
      el("td", {}, o.number, el("br"), el("span", { class: "muted" }, o.call_type_label)),
      el("td", {}, o.contact_number || o.caller_number || ""),
      el("td", {}, o.question || ""),
      el("td", {}, (o.work_orders.at(-1) || {}).unit_name || "", el("br"), el("span", { class: "muted" }, o.unit_reply || "")),
      el("td", { class: late ? "error" : "" }, fmtLeft(o.deadlines.reply?.seconds_left),
        o.unreached ? [el("br"), el("span", { class: "chip", "data-unreached": o.unreached }, T.unreached_n.replace("{n}", o.unreached))] : ""),
      VIEW === "answer" ? answerCell(o, rowNote) : visitCell(o, rowNote));
  }) : [el("tr", {}, el("td", { colspan: 6, class: "muted" }, T.no_visits))]));
}

document.addEventListener("DOMContentLoaded", async () => {
  const views = [["answer", "queue_answer"], ["visit", "queue_visit"]];
  const head = ["ticket_number", "contact", "content", "unit_reply_was", "time_left", "actions"];
  $("#visits-root").replaceChildren(el("section", { class: "card" },
    el("div", { class: "buttons", id: "views" }, ...views.map(([v, k]) => el("button", { "data-view": v, class: v === VIEW ? "primary" : "", onclick: (ev) => {
      VIEW = v; for (const b of $("#views").children) b.className = b === ev.target ? "primary" : ""; load();
    } }, T[k]))),
    el("p", { id: "visits-error", class: "error" }),
    el("p", { id: "visits-done", class: "ok", "aria-live": "polite" }),
    el("table", {}, el("thead", {}, el("tr", {}, ...head.map((k) => el("th", {}, T[k])))), el("tbody", { id: "orders" }))));
  await load();
  document.body.dataset.ready = "1";
});
