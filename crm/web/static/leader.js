// 值班长: the city's queue of open orders (paged, filtered, sorted, searched and live), dispatch,
// re-dispatch with a reason, simple work orders, and for the hotline leader the audit of reads.
// Deadlines counted on a year without a published holiday schedule are marked 预计.
"use strict";
let UNITS = [];
const VIEWS = [["dispatch", "dispatch_queue"], ["overdue", "overdue_list"], ["open", "open_order"], ["simple", "simple_order"]];
let VIEW = "dispatch";
// What the table asks the server for; the server filters, sorts and cuts the pages after its
// access rules, so counts and search never include what this viewer may not read.
const QUERY = { status: "", call_type: "", unit_id: "", overdue: "", q: "", sort: "due", desc: false, page: 1, size: 20 };
const LIVE_POLL_MS = 10000;  // in case a change reached the database without a push

const fmt = (text, values) => text.replace(/\{(\w+)\}/g, (_, k) => values[k] ?? "");

// A span of time as a shift leader reads it: days and hours, minutes only when under a day.
function fmtSpan(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
  if (d) return `${d}${T.days}${h}${T.hours}`;
  if (h) return `${h}${T.hours}${m}${T.minutes}`;
  return `${m}${T.minutes}`;
}

// The stage that is late (the latest of them), or the next one due, with its time.
function leftOf(order) {
  if (order.is_overdue) {
    const stage = T.stages[order.late_stage] || order.late_stage_label || "";
    return fmt(T.overdue_of, { span: fmtSpan(order.late_seconds), stage });
  }
  const next = Object.entries(order.deadlines).sort((a, b) => a[1].seconds_left - b[1].seconds_left)[0];
  if (!next) return "—";
  const [stage, dl] = next;
  return fmt(T.time_left_of, { span: fmtSpan(dl.seconds_left), stage: T.stages[stage] || stage });
}

// The time left may still move when the year's schedule is entered (docs/hotline-rules.md,
// "Call types and their limits": working days follow the published calendar).
function provisionalMark(order) {
  if (!order.deadlines_provisional) return "";
  return el("span", { class: "chip provisional", "data-provisional": "1", title: T.provisional_hint }, T.provisional);
}

// No unit is chosen for the leader: one careless click must not send an order to the first
// name in the list (a non-member bank). A report goes only to a discipline-inspection or
// judicial body (docs/hotline-rules.md).
function unitSelect(selected, report) {
  const units = report ? UNITS.filter((u) => u.reports) : UNITS;
  if (!units.length) return el("span", { class: "error" }, T.no_report_unit);
  const known = units.some((u) => u.id === selected);
  return el("select", { class: "unit", "aria-label": T.body_unit, "data-initial": known ? String(selected) : "" },
    el("option", { value: "", selected: known ? null : "selected" }, T.unit_placeholder),
    ...units.map((u) => el("option", { value: u.id, selected: u.id === selected ? "selected" : null, "data-member": u.member ? "1" : "0" },
      u.member ? u.name : `${u.name}（${T.non_member}）`)));
}

// One message line under the table's toolbar, and one in the row: what the last action did.
function say(parts, kind = "ok") {
  const box = $("#leader-feedback");
  if (!box) return;
  box.replaceChildren(...[parts].flat());
  box.className = kind === "ok" ? "feedback ok" : "feedback error";
  box.dataset.kind = kind;
  box.hidden = false;
}
const rowSay = (cell, text, kind = "error") => {
  let line = cell.querySelector(".row-msg");
  if (!line) { line = el("div", { class: "row-msg" }); cell.append(line); }
  line.className = `row-msg ${kind}`;
  line.textContent = text;
};

// While a request runs its button is disabled, so a double click sends it once.
async function busy(button, work) {
  button.disabled = true;
  try { return await work(); } finally { button.disabled = false; }
}

// A report is listed sealed; opening it is one audited read, and fills in its row.
async function openReport(o, questionCell, callerCell, button) {
  try {
    const full = await api("GET", `/web/api/leader/orders/${o.ticket_id}`);
    questionCell.replaceChildren(full.question || "");
    callerCell.replaceChildren(full.caller_number || "");
    button.remove();
  } catch (e) { rowSay(button.parentElement, e.message); }
}

const AUDIT_VIEW = "audit";

async function loadAudit() {
  // The server knows which entries are reads of reports (confidential=true).
  const only = $("#audit-confidential")?.checked ?? true;
  const shown = await api("GET", `/api/audit?limit=500${only ? "&confidential=true" : ""}`);
  $("#orders").replaceChildren(...shown.map((a) => el("tr", { "data-audit": a.id },
    el("td", {}, fmtTime(a.at)), el("td", {}, a.actor), el("td", {}, a.action),
    el("td", {}, `${a.entity} ${a.entity_id ?? ""}`), el("td", { colspan: 3 }, JSON.stringify(a.detail)))));
}

// [text key, sort key or null, class of the column]
const ORDER_COLUMNS = [
  ["ticket_number", "number", "c-number"], ["call_type", "type", "c-type"], ["status", "status", "c-status"],
  ["caller_number", null, "c-phone"], ["content", null, "c-content"], ["unit_col", "unit", "c-unit"],
  ["time_left", "due", "c-due"], ["actions", null, "c-actions"],
];
const AUDIT_COLUMNS = ["audit_at", "audit_actor", "audit_action", "audit_entity", "audit_detail"];

function orderHead() {
  return el("tr", {}, ...ORDER_COLUMNS.map(([k, sort, cls]) => {
    if (!sort) return el("th", { class: cls }, T[k]);
    const on = QUERY.sort === sort;
    return el("th", { class: `${cls} sortable${on ? " sorted" : ""}`, "data-sort": sort, "aria-sort": on ? (QUERY.desc ? "descending" : "ascending") : "none",
      onclick: () => { QUERY.desc = on ? !QUERY.desc : false; QUERY.sort = sort; QUERY.page = 1; load(); } },
    T[k], on ? (QUERY.desc ? " ▼" : " ▲") : "");
  }));
}

function dispatchControls(o, actions) {
  const report = o.call_type === "report";
  const unit = unitSelect(o.body_unit_id, report);
  const reason = el("input", { placeholder: T.simple_reason, class: "reason", size: 10 });
  const send = el("button", { class: "primary", "data-action": "dispatch", onclick: () => busy(send, async () => {
    if (unit.tagName !== "SELECT" || !unit.value) { rowSay(actions, T.choose_unit_first); unit.focus?.(); return; }
    try {
      const done = await api("POST", `/web/api/leader/orders/${o.ticket_id}/dispatch`, { unit_id: Number(unit.value), simple_reason: reason.value || null });
      say(fmt(T.dispatched_to, { work_order: done.work_order, number: done.number, unit: done.unit_name }));
      load();
    } catch (e) { rowSay(actions, e.message); }
  }) }, T.dispatch.replace("登记并", ""));
  actions.append(el("div", { class: "act" }, unit, reason, send));
}

// 重新派单 asks why and asks again before it makes a new order (docs/hotline-rules.md, help
// requests: a new order referencing the original one); the answer names the new order.
function redispatchControls(o, actions) {
  const open = el("button", { "data-action": "redispatch", onclick: () => {
    open.hidden = true;
    const reason = el("input", { class: "redispatch-reason", placeholder: T.redispatch_reason, size: 18, maxlength: 400 });
    const form = el("div", { class: "act confirm", "data-confirm": "redispatch" },
      el("span", { class: "confirm-q" }, fmt(T.redispatch_confirm, { number: o.number })), reason);
    const ok = el("button", { class: "primary", "data-action": "redispatch-confirm", onclick: () => busy(ok, async () => {
      if (!reason.value.trim()) { rowSay(actions, T.redispatch_reason_missing); reason.focus(); return; }
      try {
        const done = await api("POST", `/web/api/leader/orders/${o.ticket_id}/redispatch`, { reason: reason.value.trim() });
        const link = el("button", { class: "link", "data-new-order": done.number, onclick: () => { QUERY.q = done.number; $("#order-q").value = done.number; VIEW = "open"; markView(); QUERY.page = 1; load(); } }, done.number);
        const [before, after] = T.redispatched.split("{number}");
        say([before, link, fmt(after, { previous: done.previous_number })]);
        load();
      } catch (e) { rowSay(actions, e.message); }
    }) }, T.redispatch_ok);
    const cancel = el("button", { "data-action": "redispatch-cancel", onclick: () => { form.remove(); open.hidden = false; actions.querySelector(".row-msg")?.remove(); } }, T.cancel);
    form.append(ok, cancel);
    actions.append(form);
    reason.focus();
  } }, T.redispatch);
  actions.append(open);
}

function orderRow(o) {
  const report = o.call_type === "report";
  const actions = el("td", { class: "c-actions" });
  if (o.status === "registered") {
    dispatchControls(o, actions);
  } else {
    if (o.simple && o.status === "dispatched") {  // 简易工单: the reviewer records who at the unit answered, and what
      const who = el("input", { placeholder: T.answered_by, size: 6 });
      const what = el("input", { placeholder: T.unit_reply, size: 14 });
      const send = el("button", { "data-action": "reply", onclick: () => busy(send, async () => {
        try { await api("POST", `/web/api/leader/orders/${o.ticket_id}/reply`, { content: what.value, answered_by: who.value || null }); load(); }
        catch (e) { rowSay(actions, e.message); }
      }) }, T.send);
      actions.append(el("div", { class: "act" }, who, what, send));
    }
    redispatchControls(o, actions);
  }
  const callerCell = el("td", { class: "c-phone" }, o.caller_number);
  const questionCell = el("td", { class: "c-content", title: report ? null : o.question }, el("div", { class: "clamp" }, o.question));
  if (report) {
    const open = el("button", { "data-action": "open-report" }, T.open_report);
    open.addEventListener("click", () => openReport(o, questionCell, callerCell, open));
    actions.prepend(open);
  }
  return el("tr", { "data-ticket": o.number, class: o.is_overdue ? "late" : "" },
    el("td", { class: "c-number" }, o.number), el("td", { class: "c-type" }, o.call_type_label), el("td", { class: "c-status" }, o.status_label),
    callerCell, questionCell, el("td", { class: "c-unit" }, o.unit_name || "—"),
    el("td", { class: o.is_overdue ? "c-due error" : "c-due", "data-overdue": o.is_overdue ? "1" : "0" }, leftOf(o), provisionalMark(o)), actions);
}

function queryString() {
  const p = new URLSearchParams({ view: VIEW, sort: QUERY.sort, desc: String(QUERY.desc), page: String(QUERY.page), size: String(QUERY.size) });
  for (const k of ["status", "call_type", "unit_id", "overdue", "q"]) if (QUERY[k]) p.set(k, QUERY[k]);
  return p.toString();
}

let LOADING = null, PENDING = false;
async function load() {
  const audit = VIEW === AUDIT_VIEW;
  $("#orders-head").replaceChildren(audit ? el("tr", {}, ...AUDIT_COLUMNS.map((k) => el("th", {}, T[k]))) : orderHead());
  $("#audit-filter").hidden = !audit;
  $("#order-tools").hidden = audit;
  $("#order-pager").hidden = audit;
  PENDING = false;
  $("#orders-updated").hidden = true;
  if (audit) return loadAudit();
  const asked = queryString();
  LOADING = asked;
  let table;
  try { table = await api("GET", `/web/api/leader/table?${asked}`); }
  catch (e) { say(e.message, "error"); return; }
  if (LOADING !== asked) return;  // a newer question is on its way
  QUERY.page = table.page;
  for (const b of $("#views").children) {
    const n = table.counts[b.dataset.view];
    const badge = b.querySelector(".n");
    if (badge) badge.textContent = n == null ? "" : String(n);
  }
  $("#orders").replaceChildren(...(table.rows.length ? table.rows.map(orderRow)
    : [el("tr", { class: "empty" }, el("td", { colspan: ORDER_COLUMNS.length, class: "muted" }, T.no_orders))]));
  $("#orders-count").textContent = fmt(T.total_n, { n: table.total }) + (table.truncated ? `（${fmt(T.truncated, { n: table.rows.length })}）` : "");
  $("#orders-count").dataset.total = String(table.total);
  $("#page-of").textContent = fmt(T.page_n, { page: table.page, pages: table.pages });
  $("#page-prev").disabled = table.page <= 1;
  $("#page-next").disabled = table.page >= table.pages;
  document.body.dataset.loaded = String(Date.now());
}

// A push or the poll redraws the table unless the leader is in the middle of a row (a unit
// chosen, a reason typed): then a notice offers the refresh instead of wiping their input.
function busyInTable() {
  const active = document.activeElement;
  if (active && $("#orders")?.contains(active) && active.tagName !== "BUTTON") return true;
  if ($("#orders")?.querySelector("[data-confirm]")) return true;
  return [...($("#orders")?.querySelectorAll("select.unit") || [])].some((s) => s.value !== s.dataset.initial);
}
function liveChange() {
  if (VIEW === AUDIT_VIEW) return;
  if (busyInTable()) { PENDING = true; $("#orders-updated").hidden = false; return; }
  load();
}

function markView() {
  for (const b of $("#views").children) b.className = b.dataset.view === VIEW ? "primary" : "";
}

function toolbar() {
  const open = ["registered", "dispatched", "replied"];
  const pick = (name, label, options) => el("label", {}, label, el("select", { name, onchange: (ev) => { QUERY[name] = ev.target.value; QUERY.page = 1; load(); } },
    el("option", { value: "" }, T.all), ...options.map(([v, l]) => el("option", { value: v }, l))));
  const q = el("input", { id: "order-q", name: "q", type: "search", placeholder: T.search_orders, size: 18, maxlength: 200 });
  return el("form", { class: "filters", id: "order-tools", onsubmit: (ev) => { ev.preventDefault(); QUERY.q = q.value.trim(); QUERY.page = 1; load(); } },
    pick("status", T.status, open.map((s) => [s, T.statuses[s]])),
    pick("call_type", T.call_type, Object.entries(T.types)),
    pick("unit_id", T.body_unit, UNITS.map((u) => [String(u.id), u.name])),
    pick("overdue", T.overdue, [["true", T.overdue_only], ["false", T.not_overdue]]),
    el("label", {}, T.search, q),
    el("button", { class: "primary", id: "order-search" }, T.search),
    el("button", { type: "button", id: "order-reset", onclick: () => {
      for (const k of ["status", "call_type", "unit_id", "overdue", "q"]) QUERY[k] = "";
      for (const input of $("#order-tools").querySelectorAll("[name]")) input.value = "";
      QUERY.page = 1; load();
    } }, T.reset));
}

document.addEventListener("DOMContentLoaded", async () => {
  UNITS = await api("GET", "/web/api/units");
  // The hotline leader reads who opened which report (the audit of confidential reads).
  const views = ME.roles.includes("hotline_leader") ? [...VIEWS, [AUDIT_VIEW, "audit_log"]] : VIEWS;
  $("#leader-root").replaceChildren(el("section", { class: "card" },
    el("div", { class: "buttons", id: "views" }, ...views.map(([v, k]) => el("button", { "data-view": v, class: v === VIEW ? "primary" : "", onclick: () => {
      VIEW = v; markView(); QUERY.page = 1; load();
    } }, T[k], " ", el("span", { class: "n" })))),
    toolbar(),
    el("div", { class: "feedback", id: "leader-feedback", hidden: true, role: "status" }),
    el("button", { class: "link", id: "orders-updated", hidden: true, onclick: load }, T.orders_updated),
    el("label", { id: "audit-filter", hidden: true }, el("input", { type: "checkbox", id: "audit-confidential", checked: "checked", onchange: load }), " ", T.audit_confidential_only),
    el("div", { class: "table-scroll" }, el("table", { class: "orders-table" }, el("thead", { id: "orders-head" }), el("tbody", { id: "orders" }))),
    el("div", { class: "pager", id: "order-pager" },
      el("span", { id: "orders-count" }), " ",
      el("button", { id: "page-prev", onclick: () => { QUERY.page -= 1; load(); } }, T.prev_page),
      el("span", { id: "page-of" }),
      el("button", { id: "page-next", onclick: () => { QUERY.page += 1; load(); } }, T.next_page))));
  Live.on("emergency", liveChange);
  Live.on("orders", liveChange);
  setInterval(liveChange, LIVE_POLL_MS);
  await load();
  document.body.dataset.ready = "1";
});

// 来电应急预案 (docs/hotline-rules.md): the plan's alerts for this person's roles, live and those
// still open at load; the hotline leader writes the post-event summary (cause, improvements).
function showPlanAlert(note) {
  let box = $("#plan-alerts");
  if (!box) {
    box = el("section", { class: "card", id: "plan-alerts" }, el("h3", {}, T.plan_alerts));
    $("#leader-root").before(box);  // beside the console, which redraws its own children
  }
  if (box.querySelector(`[data-alert="${note.id}"]`)) return;
  const item = el("div", { "data-alert": note.id }, el("p", {}, note.message));
  if (ME.roles.includes("hotline_leader") && note.ticket_id) {
    const cause = el("input", { placeholder: T.summary_cause, size: 16 });
    const better = el("input", { placeholder: T.summary_improvements, size: 24 });
    item.append(cause, " ", better, " ", el("button", { "data-action": "emergency-summary", onclick: async (ev) => {
      try {
        await api("POST", `/api/orders/${note.ticket_id}/emergency-summary`, { cause: cause.value, improvements: better.value });
        ev.target.replaceWith(T.summary_saved);
      } catch (e) { notify(e.message); }
    } }, T.write_summary));
  }
  box.append(item);
}
Live.on("plan_alert", ({ alert: note }) => showPlanAlert(note));
document.addEventListener("DOMContentLoaded", async () => {
  const open = await api("GET", "/api/alerts");
  for (const note of open.reverse()) if (note.kind.startsWith("plan_")) showPlanAlert(note);
});
