// 话务台: queue state, the screen pop, registration form, knowledge base, call-backs.
"use strict";
let AGENT = null, POP = null;
window.__pops = [];  // {uniqueid, agent_called_at, drawn_at} for the benchmark

function showState(a) {
  AGENT = { ...AGENT, ...a };
  const state = !a.queues.length ? T.state_out : a.paused ? T.state_paused : T.state_ready;
  $("#agent-state").textContent = `${a.name}（${a.extension}） ${state}`;
  $("#agent-state").dataset.state = !a.queues.length ? "out" : a.paused ? "paused" : "ready";
  $("#queue-list").replaceChildren(...a.skills.map((q) => el("span", { class: a.queues.includes(q) ? "chip on" : "chip" }, (a.queue_labels || {})[q] || q)));
}

async function act(path, body = {}) {
  try { showState(await api("POST", `/web/api/agent/${path}`, body)); }
  catch (e) { alert(e.message); }
}

function requiredFor(type) { return (AGENT?.required || {})[type] || ["question"]; }
function markRequired() {
  const need = requiredFor($("#f-type").value);
  for (const input of $("#register-form").querySelectorAll("input[name],textarea[name]")) {
    input.closest("label").classList.toggle("required", need.includes(input.name));
    input.required = need.includes(input.name);
  }
}

function li(...kids) { return el("li", {}, ...kids); }

function drawPop(pop) {
  if (POP && POP.uniqueid === pop.uniqueid) {  // the IVR choice arrived after the ring
    POP = { ...pop, ticket_id: POP.ticket_id };
    $("#pop-ivr").textContent = pop.ivr_choice || (pop.ivr_path || []).join(" → ") || T.none;
    return;
  }
  POP = pop;
  $("#pop-empty").hidden = true;
  $("#pop").hidden = false;
  $("#pop-number").textContent = pop.caller_number;
  $("#pop-ticket").textContent = `${T.ticket_number} ${pop.ticket}`;
  $("#pop-time").textContent = fmtTime(pop.started_at);
  $("#pop-ivr").textContent = pop.ivr_choice || (pop.ivr_path || []).join(" → ") || T.none;
  const chase = $("#pop-chase");
  if (pop.open_order) {
    chase.textContent = `${pop.open_order.overdue ? T.overdue_warning : T.chase_warning}（${pop.open_order.number}）`;
    chase.hidden = false;
  } else chase.hidden = true;
  $("#pop-earlier").replaceChildren(...(pop.earlier.length ? pop.earlier.map((t) =>
    li(el("b", {}, t.number), " ", T.types[t.call_type] || "", " ", T.statuses[t.status] || "", el("div", { class: "muted" }, t.question || ""))) : [li(T.no_earlier)]));
  showKb(pop.kb, pop.special_lines);
  const form = $("#register-form");
  form.reset();
  $("#form-result").textContent = ""; $("#form-error").textContent = "";
  if (pop.call_type) $("#f-type").value = pop.call_type;
  form.contact_number.value = pop.caller_number || "";
  markRequired();
  requestAnimationFrame(() => setTimeout(() => {
    window.__pops.push({ uniqueid: pop.uniqueid, agent_called_at: pop.agent_called_at, ami_received_at: pop.ami_received_at,
      sent_at: pop.sent_at, received_at: pop._received_at, drawn_at: Date.now() / 1000 });
  }, 0));
}

function showKb(kb, lines) {
  $("#kb-list").replaceChildren(...kb.map((a) => li(
    el("b", {}, a.title), el("div", { class: "muted" }, a.body.slice(0, 120)),
    POP ? el("button", { class: "link", onclick: () => submit("kb", a.id) }, T.answer_kb) : "")));
  $("#lines-list").replaceChildren(...lines.map((l) => li(el("b", {}, l.line), " ", l.name, el("div", { class: "muted" }, l.scope))));
}

async function submit(action, articleId) {
  const form = $("#register-form");
  const data = Object.fromEntries(new FormData(form));
  const missing = requiredFor(data.call_type).filter((f) => !(data[f] || "").trim());
  if (action === "dispatch" && !data.body_unit_id) missing.push("body_unit_id");
  if (missing.length) {
    $("#form-error").textContent = `${T.required}：` + missing.map((f) => form[f].closest("label").firstChild.textContent.trim()).join("、");
    return;
  }
  const body = { ...data, action, reply_requested: !!data.reply_requested,
    body_unit_id: data.body_unit_id ? Number(data.body_unit_id) : null, article_id: articleId ?? null };
  try {
    const res = await api("POST", `/web/api/tickets/${POP.ticket_id}/register`, body);
    $("#form-error").textContent = "";
    $("#form-result").textContent = `${T.saved}：${res.number} ${T.statuses[res.status] || res.status} ${(res.tell_caller || []).join(" ")}`;
    $("#form-result").dataset.status = res.status;
  } catch (e) { $("#form-error").textContent = e.message; }
}

async function loadCallbacks() {
  const rows = await api("GET", "/web/api/callbacks");
  $("#callbacks").replaceChildren(...(rows.length ? rows.map((r) => li(
    el("b", {}, r.caller_number), " ", fmtTime(r.created_at), " ",
    r.attempts ? el("span", { class: "muted", "data-attempts": r.attempts },
      `${T.called_back_n.replace("{n}", r.attempts)}：${r.last_status_label} `) : "",
    el("button", { class: "link", "data-ticket": r.ticket_id, onclick: async (ev) => {
      try { const res = await api("POST", `/web/api/callbacks/${r.ticket_id}/call`); ev.target.replaceWith(res.message); }
      catch (e) { alert(e.message); }
    } }, T.call_back))) : [li(T.no_callbacks)]));
}

document.addEventListener("DOMContentLoaded", async () => {
  const types = $("#f-type");
  for (const [v, label] of Object.entries(T.types)) types.append(el("option", { value: v }, label));
  types.addEventListener("change", markRequired);
  $("#register-form").addEventListener("submit", (ev) => { ev.preventDefault(); submit(ev.submitter?.dataset.action || "register"); });
  $("#btn-sign-in").onclick = () => act("sign-in", {});
  $("#btn-sign-out").onclick = () => act("sign-out");
  $("#btn-pause").onclick = () => act("pause", { paused: true });
  $("#btn-ready").onclick = () => act("pause", { paused: false });
  let timer = null;
  $("#kb-q").addEventListener("input", (ev) => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const hits = await api("GET", "/web/api/kb?q=" + encodeURIComponent(ev.target.value));
      showKb(hits.filter((h) => h.kind === "kb"), hits.filter((h) => h.kind === "line"));
    }, 250);
  });
  Live.on("callbacks", () => loadCallbacks());
  Live.on("pop", ({ pop }) => { pop._received_at = Date.now() / 1000; drawPop(pop); });
  try {
    AGENT = await api("GET", "/web/api/agent");
    showState(AGENT);
    markRequired();
    for (const u of await api("GET", "/web/api/units")) $("#f-unit").append(el("option", { value: u.id }, u.name));
    loadCallbacks();
    setInterval(loadCallbacks, 30000);
  } catch (e) { $("#agent-state").textContent = e.message; }
  document.body.dataset.ready = "1";
});
