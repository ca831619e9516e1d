// 话务台: queue state, the call as it goes (振铃 → 通话中 → 已挂机 · 话后整理), the screen pop,
// the registration form and what the rules made of it, knowledge base, call-backs.
"use strict";
let AGENT = null, POP = null, CALL = null;
let typeTouched = false;  // the agent chose the call type: later pop frames no longer preset it
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
  catch (e) { notify(e.message); }
}

// The fields the rules want for a type are marked; leaving one out is the rules' to decide
// on the server (a 求助 without a number becomes a 意见建议), never refused here.
function wantedFor(type) { return (AGENT?.required || {})[type] || ["question"]; }
function markRequired() {
  const need = wantedFor($("#f-type").value);
  for (const input of $("#register-form").querySelectorAll("input[name],textarea[name]")) {
    input.closest("label").classList.toggle("required", need.includes(input.name));
  }
}

function li(...kids) { return el("li", {}, ...kids); }

// --- the call as it goes ----------------------------------------------------------------------
const pad = (n) => String(n).padStart(2, "0");
const clock = (secs) => { secs = Math.max(0, Math.floor(secs)); return secs >= 3600 ? `${Math.floor(secs / 3600)}:${pad(Math.floor(secs / 60) % 60)}:${pad(secs % 60)}` : `${pad(Math.floor(secs / 60))}:${pad(secs % 60)}`; };
const since = (iso) => iso ? (Date.now() - new Date(iso).getTime()) / 1000 : 0;
const CALL_TEXT = { ringing: "call_ringing", talking: "call_talking", ended: "call_ended", taken: "call_taken", missed: "call_missed" };

function setCall(call) {
  if (!call) return;
  if (!POP || POP.uniqueid !== call.uniqueid) {
    // A call moved that this page has not drawn (its pop was lost): fetch it again.
    if (call.state === "talking" || call.state === "ringing") restore();
    return;
  }
  CALL = call;
  drawCall();
}

function drawCall() {
  const badge = $("#call-state");
  const state = CALL?.state || "ringing";
  badge.dataset.state = state;
  badge.className = `badge call-${state}${state === "ringing" ? " ring" : ""}`;
  badge.textContent = T[CALL_TEXT[state]] || state;
  const timer = $("#call-timer");
  timer.textContent = state === "talking" ? clock(since(CALL.answered_at))
    : state === "ended" && CALL.ended_at ? clock(since(CALL.ended_at)) : "";
  timer.dataset.state = state;
}
setInterval(() => { if (CALL && (CALL.state === "talking" || CALL.state === "ended")) drawCall(); }, 1000);

// --- the pop: every frame of it ---------------------------------------------------------------
// A pop comes in several frames as the call's facts arrive (the ring, the IVR choice, the
// knowledge-base answers for it). The first draws the call and clears the form; each later one
// brings what is new without touching what the agent has typed.
function drawPop(pop) {
  const fresh = !POP || POP.uniqueid !== pop.uniqueid;
  POP = fresh ? pop : { ...POP, ...pop, ticket_id: POP.ticket_id || pop.ticket_id };
  $("#pop-empty").hidden = true;
  $("#pop").hidden = false;
  $("#pop-number").textContent = pop.caller_number;
  $("#pop-area").textContent = pop.caller_area ? `${T.caller_area}：${pop.caller_area}` : "";
  $("#pop-ticket").textContent = `${T.ticket_number} ${pop.ticket}`;
  $("#pop-time").textContent = fmtTime(pop.started_at);
  $("#pop-ivr").textContent = pop.ivr_choice || (pop.ivr_path || []).join(" → ") || T.none;
  const chase = $("#pop-chase");
  if (pop.open_order) {
    chase.textContent = `${pop.open_order.overdue ? T.overdue_warning : T.chase_warning}（${pop.open_order.number}）`;
    chase.hidden = false;
  } else chase.hidden = true;
  $("#pop-earlier").replaceChildren(...((pop.earlier || []).length ? pop.earlier.map((t) =>
    li(el("b", {}, t.number), " ", T.types[t.call_type] || "", " ", T.statuses[t.status] || "", el("div", { class: "muted" }, t.question || ""))) : [li(T.no_earlier)]));
  if (!$("#kb-q").value.trim()) showKb(pop.kb || [], pop.special_lines || []);
  const form = $("#register-form");
  if (fresh) {
    form.reset();
    typeTouched = false;
    CALL = { uniqueid: pop.uniqueid, state: "ringing" };
    showResult(null);
    form.contact_number.value = pop.caller_number || "";
    restoreDraft(pop.uniqueid);
  }
  if (pop.call_type && !typeTouched) $("#f-type").value = pop.call_type;
  markRequired();
  drawCall();
  if (fresh) setTimeout(() => form.question.focus(), 0);
  requestAnimationFrame(() => setTimeout(() => {
    window.__pops.push({ uniqueid: pop.uniqueid, agent_called_at: pop.agent_called_at, ami_received_at: pop.ami_received_at,
      sent_at: pop.sent_at, received_at: pop._received_at, drawn_at: Date.now() / 1000 });
  }, 0));
}

// The current call after a reload, in a new tab, or when the WebSocket (re)connects: frames
// sent while the page was away are not replayed, the server says where the call stands.
async function restore() {
  try {
    const found = await api("GET", "/web/api/agent/call");
    if (found.pop) drawPop(found.pop);
    if (found.call && POP && found.call.uniqueid === POP.uniqueid) setCall(found.call);
  } catch (e) { /* the console works without it; the next pop draws the call */ }
}

// What the agent typed, kept per call in this browser: a reload or a second tab keeps it.
const DRAFT = "hotline-draft:";
function saveDraft() {
  if (!POP) return;
  const data = Object.fromEntries(new FormData($("#register-form")));
  try { localStorage.setItem(DRAFT + POP.uniqueid, JSON.stringify({ at: Date.now(), typeTouched, data })); } catch (e) { /* private mode */ }
}
function restoreDraft(uniqueid) {
  let saved = null;
  try {
    for (const key of Object.keys(localStorage)) {  // forget drafts older than a day
      if (key.startsWith(DRAFT) && Date.now() - (JSON.parse(localStorage.getItem(key)).at || 0) > 86400000) localStorage.removeItem(key);
    }
    saved = JSON.parse(localStorage.getItem(DRAFT + uniqueid) || "null");
  } catch (e) { saved = null; }
  if (!saved) return;
  const form = $("#register-form");
  for (const [name, value] of Object.entries(saved.data || {})) {
    const field = form.elements[name];
    if (!field) continue;
    if (field.type === "checkbox") field.checked = !!value; else field.value = value;
  }
  typeTouched = !!saved.typeTouched;
}

function showKb(kb, lines) {
  $("#kb-list").replaceChildren(...kb.map((a) => li(
    el("b", {}, a.title), el("div", { class: "muted" }, a.body.slice(0, 120)),
    POP ? el("button", { class: "link", "data-article": a.id, onclick: () => submit("kb", a.id) }, T.answer_kb) : "")));
  $("#lines-list").replaceChildren(...lines.map((l) => li(el("b", {}, l.line), " ", l.name, el("div", { class: "muted" }, l.scope))));
}

// --- registering: what the rules did, what to tell the caller ---------------------------------
function dueText(iso) {
  if (!iso) return "";
  return new Date(iso).toLocaleString("zh-CN", { timeZone: HOTLINE_ZONE, month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit", hour12: false });
}

function showResult(res, error) {
  const box = $("#form-result"), err = $("#form-error");
  err.textContent = error || "";
  box.replaceChildren();
  delete box.dataset.status;
  if (!res) return;
  box.dataset.status = res.status;
  box.dataset.callType = res.call_type;
  box.append(el("div", { class: "outcome" }, el("b", {}, res.number), " ", res.outcome));
  if (res.retyped) {
    box.append(el("div", { class: "retyped", "data-type": res.call_type },
      `${T.call_type}：${T.types[res.requested_type] || res.requested_type} → ${T.retyped} `, el("b", {}, res.call_type_label)));
  }
  if ((res.tell_caller || []).length) {
    box.append(el("div", { class: "script" }, el("span", { class: "muted" }, `${T.tell_caller}：`),
      ...res.tell_caller.map((line) => el("div", { class: "say" }, line))));
  }
  if (res.refer_number) box.append(el("div", { class: "refer" }, `${T.refer_number}：`, el("b", {}, res.refer_number)));
  if (res.reply_due) {
    box.append(el("div", { class: "due" }, `${T.reply_due}：${dueText(res.reply_due)}`,
      res.deadlines_provisional ? el("span", { class: "provisional" }, `（${T.provisional}）`) : ""));
  }
  if ((res.notes || []).length) box.append(el("div", { class: "muted notes" }, `${T.notes}：${res.notes.join("；")}`));
}

let submitting = false;
async function submit(action, articleId) {
  if (!POP || submitting) return;
  const form = $("#register-form");
  const data = Object.fromEntries(new FormData(form));
  const body = { ...data, action, reply_requested: !!data.reply_requested,
    body_unit_id: data.body_unit_id ? Number(data.body_unit_id) : null, article_id: articleId ?? null };
  submitting = true;
  for (const b of form.querySelectorAll("button")) b.disabled = true;
  $("#form-error").textContent = T.saving;
  try {
    const res = await api("POST", `/web/api/tickets/${POP.ticket_id}/register`, body);
    showResult(res);
    if (res.retyped) { $("#f-type").value = res.call_type; typeTouched = true; markRequired(); saveDraft(); }
  } catch (e) {
    $("#form-error").textContent = e.message;
  } finally {
    submitting = false;
    for (const b of form.querySelectorAll("button")) b.disabled = false;
  }
}

// --- call-backs -------------------------------------------------------------------------------
async function loadCallbacks() {
  let rows;
  try { rows = await api("GET", "/web/api/callbacks"); } catch (e) { return; }
  $("#callbacks").replaceChildren(...(rows.length ? rows.map((r) => li(
    el("b", {}, r.caller_number), " ", fmtTime(r.created_at), " ",
    r.missed_calls > 1 ? el("span", { class: "chip warn-chip", "data-missed": r.missed_calls }, T.missed_n.replace("{n}", r.missed_calls)) : "", " ",
    r.attempts ? el("span", { class: "muted", "data-attempts": r.attempts },
      `${T.called_back_n.replace("{n}", r.attempts)}：${r.last_status_label} `) : "",
    el("button", { class: "link", "data-ticket": r.ticket_id, onclick: async (ev) => {
      const button = ev.target;
      button.disabled = true;
      try { const res = await api("POST", `/web/api/callbacks/${r.ticket_id}/call`); button.replaceWith(res.message); }
      catch (e) { button.disabled = false; button.after(el("span", { class: "error inline" }, ` ${e.message}`)); notify(e.message); }
    } }, T.call_back))) : [li(T.no_callbacks)]));
}

// --- keyboard ---------------------------------------------------------------------------------
function onKey(ev) {
  if (ev.key === "Escape") { const t = $("#toast"); if (t) t.hidden = true; return; }
  if (!ev.altKey || ev.ctrlKey || ev.metaKey) return;
  const keys = {
    "1": () => POP && $("#register-form").question.focus(),
    s: () => submit("register"),
    d: () => submit("dispatch"),
    k: () => $("#kb-q").focus(),
    r: () => act("pause", { paused: false }),
    p: () => act("pause", { paused: true }),
  };
  const fn = keys[ev.key.toLowerCase()];
  if (fn) { ev.preventDefault(); fn(); }
}

document.addEventListener("DOMContentLoaded", async () => {
  const types = $("#f-type");
  for (const [v, label] of Object.entries(T.types)) types.append(el("option", { value: v }, label));
  types.addEventListener("change", () => { typeTouched = true; markRequired(); });
  const form = $("#register-form");
  form.addEventListener("submit", (ev) => { ev.preventDefault(); submit(ev.submitter?.dataset.action || "register"); });
  // Enter in a one-line field moves on, it does not register a half-filled form.
  form.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && ev.target.tagName === "INPUT" && !ev.isComposing) ev.preventDefault();
  });
  form.addEventListener("input", saveDraft);
  form.addEventListener("change", saveDraft);
  document.addEventListener("keydown", onKey);
  $("#btn-sign-in").onclick = () => act("sign-in", {});
  $("#btn-sign-out").onclick = () => act("sign-out");
  $("#btn-pause").onclick = () => act("pause", { paused: true });
  $("#btn-ready").onclick = () => act("pause", { paused: false });
  let timer = null;
  $("#kb-q").addEventListener("input", (ev) => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      if (!ev.target.value.trim()) { if (POP) showKb(POP.kb || [], POP.special_lines || []); return; }
      try {
        const hits = await api("GET", "/web/api/kb?q=" + encodeURIComponent(ev.target.value));
        showKb(hits.filter((h) => h.kind === "kb"), hits.filter((h) => h.kind === "line"));
      } catch (e) { notify(e.message); }
    }, 250);
  });
  Live.on("callbacks", () => loadCallbacks());
  Live.on("pop", ({ pop }) => { pop._received_at = Date.now() / 1000; drawPop(pop); });
  Live.on("call", ({ call }) => setCall(call));
  Live.on("hello", () => { if (AGENT) restore(); });
  try {
    AGENT = await api("GET", "/web/api/agent");
    showState(AGENT);
    markRequired();
    for (const u of await api("GET", "/web/api/units")) $("#f-unit").append(el("option", { value: u.id }, u.name));
    await restore();
    loadCallbacks();
    setInterval(loadCallbacks, 30000);
  } catch (e) { $("#agent-state").textContent = e.message; }
  document.body.dataset.ready = "1";
});
