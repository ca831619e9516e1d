// 值班长: dispatch queue, overdue list with time left, re-dispatch, simple work orders.
"use strict";
let UNITS = [];
const VIEWS = [["dispatch", "dispatch_queue"], ["overdue", "overdue_list"], ["open", "open_order"], ["simple", "simple_order"]];
let VIEW = "dispatch";

function leftOf(order) {
  const d = Object.entries(order.deadlines).sort((a, b) => a[1].seconds_left - b[1].seconds_left)[0];
  if (!d) return "—";
  const [, dl] = d;
  return dl.overdue ? `${T.overdue} ${fmtSecs(-dl.seconds_left)}` : fmtSecs(dl.seconds_left);
}

// A report goes only to a discipline-inspection or judicial body (docs/hotline-rules.md).
function unitSelect(selected, report) {
  const units = report ? UNITS.filter((u) => u.reports) : UNITS;
  if (!units.length) return el("span", { class: "error" }, T.no_report_unit);
  return el("select", { class: "unit" }, ...units.map((u) => el("option", { value: u.id, selected: u.id === selected ? "selected" : null }, u.name)));
}

// A report is listed sealed; opening it is one audited read, and fills in its row.
async function openReport(o, questionCell, callerCell, button) {
  try {
    const full = await api("GET", `/web/api/leader/orders/${o.ticket_id}`);
    questionCell.replaceChildren(full.question || "");
    callerCell.replaceChildren(full.caller_number || "");
    button.remove();
  } catch (e) { notify(e.message); }
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

const ORDER_COLUMNS = ["ticket_number", "call_type", "status", "caller_number", "content", "time_left", "actions"];
const AUDIT_COLUMNS = ["audit_at", "audit_actor", "audit_action", "audit_entity", "audit_detail"];

async function load() {
  const audit = VIEW === AUDIT_VIEW;
  $("#orders-head").replaceChildren(el("tr", {}, ...(audit ? AUDIT_COLUMNS : ORDER_COLUMNS).map((k) => el("th", {}, T[k]))));
  $("#audit-filter").hidden = !audit;
  if (audit) return loadAudit();
  const rows = await api("GET", `/web/api/leader/orders?view=${VIEW}`);
  $("#orders").replaceChildren(...rows.map((o) => {
    const report = o.call_type === "report";
    const unit = unitSelect(o.body_unit_id, report);
    const reason = el("input", { placeholder: T.simple_reason, class: "reason", size: 10 });
    const actions = el("td", {});
    if (o.status === "registered") {
      actions.append(unit, " ", reason, " ", el("button", { class: "primary", "data-action": "dispatch", onclick: async () => {
        await api("POST", `/web/api/leader/orders/${o.ticket_id}/dispatch`, { unit_id: Number(unit.value), simple_reason: reason.value || null });
        load();
      } }, T.dispatch.replace("登记并", "")));
    } else {
      const openSimple = o.simple && o.status === "dispatched";
      if (openSimple) {  // 简易工单: the reviewer records who at the unit answered, and what
        const who = el("input", { placeholder: T.answered_by, size: 6 });
        const what = el("input", { placeholder: T.unit_reply, size: 14 });
        actions.append(who, " ", what, " ", el("button", { "data-action": "reply", onclick: async () => {
          try { await api("POST", `/web/api/leader/orders/${o.ticket_id}/reply`, { content: what.value, answered_by: who.value || null }); load(); }
          catch (e) { notify(e.message); }
        } }, T.send), " ");
      }
      actions.append(el("button", { "data-action": "redispatch", onclick: async () => {
        await api("POST", `/web/api/leader/orders/${o.ticket_id}/redispatch`); load();
      } }, T.redispatch));
    }
    const callerCell = el("td", {}, o.caller_number);
    const questionCell = el("td", {}, o.question);
    if (report) {
      const open = el("button", { "data-action": "open-report" }, T.open_report);
      open.addEventListener("click", () => openReport(o, questionCell, callerCell, open));
      actions.prepend(open, " ");
    }
    return el("tr", { "data-ticket": o.number, class: o.is_overdue ? "late" : "" },
      el("td", {}, o.number), el("td", {}, o.call_type_label), el("td", {}, o.status_label),
      callerCell, questionCell, el("td", { class: o.is_overdue ? "error" : "" }, leftOf(o)), actions);
  }));
}

document.addEventListener("DOMContentLoaded", async () => {
  UNITS = await api("GET", "/web/api/units");
  // The hotline leader reads who opened which report (the audit of confidential reads).
  const views = ME.roles.includes("hotline_leader") ? [...VIEWS, [AUDIT_VIEW, "audit_log"]] : VIEWS;
  $("#leader-root").replaceChildren(el("section", { class: "card" },
    el("div", { class: "buttons", id: "views" }, ...views.map(([v, k]) => el("button", { "data-view": v, class: v === VIEW ? "primary" : "", onclick: (ev) => {
      VIEW = v; for (const b of $("#views").children) b.className = b === ev.target ? "primary" : ""; load();
    } }, T[k]))),
    el("label", { id: "audit-filter", hidden: true }, el("input", { type: "checkbox", id: "audit-confidential", checked: "checked", onchange: load }), " ", T.audit_confidential_only),
    el("table", {}, el("thead", { id: "orders-head" }), el("tbody", { id: "orders" }))));
  Live.on("emergency", load);
  await load();
  document.body.dataset.ready = "1";
});
