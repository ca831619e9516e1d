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

function unitSelect(selected) {
  return el("select", { class: "unit" }, ...UNITS.map((u) => el("option", { value: u.id, selected: u.id === selected ? "selected" : null }, u.name)));
}

async function load() {
  const rows = await api("GET", `/web/api/leader/orders?view=${VIEW}`);
  $("#orders").replaceChildren(...rows.map((o) => {
    const unit = unitSelect(o.body_unit_id);
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
          catch (e) { alert(e.message); }
        } }, T.send), " ");
      }
      actions.append(el("button", { "data-action": "redispatch", onclick: async () => {
        await api("POST", `/web/api/leader/orders/${o.ticket_id}/redispatch`); load();
      } }, T.redispatch));
    }
    return el("tr", { "data-ticket": o.number, class: o.is_overdue ? "late" : "" },
      el("td", {}, o.number), el("td", {}, o.call_type_label), el("td", {}, o.status_label),
      el("td", {}, o.caller_number), el("td", {}, o.question), el("td", { class: o.is_overdue ? "error" : "" }, leftOf(o)), actions);
  }));
}

document.addEventListener("DOMContentLoaded", async () => {
  UNITS = await api("GET", "/web/api/units");
  $("#leader-root").replaceChildren(el("section", { class: "card" },
    el("div", { class: "buttons", id: "views" }, ...VIEWS.map(([v, k]) => el("button", { "data-view": v, class: v === VIEW ? "primary" : "", onclick: (ev) => {
      VIEW = v; for (const b of $("#views").children) b.className = b === ev.target ? "primary" : ""; load();
    } }, T[k]))),
    el("table", {}, el("thead", {}, el("tr", {}, ...["ticket_number", "call_type", "status", "caller_number", "content", "time_left", "actions"].map((k) => el("th", {}, T[k])))),
      el("tbody", { id: "orders" }))));
  Live.on("emergency", load);
  await load();
  document.body.dataset.ready = "1";
});
