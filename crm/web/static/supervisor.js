// 质检: live wallboard (pushed), recordings with filters, player + transcript with word timings.
"use strict";
const root = () => $("#supervisor-root");

function tile(key, value, alarm) {
  return el("div", { class: alarm ? "tile alarm" : "tile", "data-k": key }, el("div", { class: "v" }, String(value ?? "—")), el("div", { class: "k" }, T[key]));
}

function drawBoard(board) {
  const t = board.total;
  $("#tiles").replaceChildren(
    tile("waiting_callers", t.waiting, t.waiting > 0),
    tile("longest_wait", fmtSecs(t.longest_wait), t.longest_wait > 20),
    tile("answered", t.answered),
    tile("abandoned", t.abandoned, t.abandoned > 0),
    tile("service_level", t.service_level == null ? "—" : t.service_level + "%"),
    tile("overdue_orders", board.overdue_orders, board.overdue_orders > 0),
  );
  $("#board-queues").replaceChildren(...board.queues.map((q) => el("tr", {},
    el("td", {}, q.label || q.queue), el("td", {}, q.waiting), el("td", {}, fmtSecs(q.longest_wait)),
    el("td", {}, q.answered), el("td", {}, q.abandoned), el("td", {}, q.service_level == null ? "—" : q.service_level + "%"))));
  $("#board-agents").replaceChildren(...board.agents.map((a) => el("span", { class: a.queues.length && !a.paused ? "chip on" : "chip" },
    `${a.extension} ${!a.queues.length ? T.state_out : a.paused ? T.state_paused : T.state_ready} `,
    el("button", { class: "link", "data-listen": a.extension, onclick: async () => {
      try { await api("POST", `/web/api/listen/${a.extension}`); } catch (e) { notify(e.message); }
    } }, T.listen))));
  $("#board-alerts").replaceChildren(...(board.alerts || []).map((a) =>
    el("li", { class: "alarm", "data-kind": a.kind }, fmtTime(a.at), " ", a.message)));
  $("#board-at").textContent = fmtTime(board.at);
}

async function search() {
  const params = new URLSearchParams();
  for (const input of $("#filters").querySelectorAll("[name]")) if (input.value) params.set(input.name, input.value);
  const rows = await api("GET", "/web/api/recordings?" + params);
  $("#rec-rows").replaceChildren(...rows.map((r) => el("tr", { "data-uniqueid": r.uniqueid, onclick: (ev) => open(r, ev.currentTarget) },
    el("td", {}, fmtTime(r.started_at)), el("td", {}, r.caller_number), el("td", {}, r.agent || "—"),
    el("td", {}, T.types[r.call_type] || "—"), el("td", {}, fmtSecs(r.talk_seconds)), el("td", {}, r.ticket || ""))));
}

let WORDS = [];
async function open(rec, row) {
  for (const tr of $("#rec-rows").children) tr.classList.toggle("selected", tr === row);
  const player = $("#player");
  player.src = `/web/api/recordings/${encodeURIComponent(rec.uniqueid)}/audio`;
  $("#now-playing").textContent = `${rec.caller_number} · ${fmtTime(rec.started_at)} · ${rec.ticket || ""}`;
  drawCallbacks(rec);
  const data = await api("GET", `/web/api/recordings/${encodeURIComponent(rec.uniqueid)}/transcript`);
  WORDS = [];
  const box = $("#transcript");
  if (!data.lines.length) { box.replaceChildren(el("p", { class: "muted" }, T.no_transcript)); return; }
  box.replaceChildren(...data.lines.map((line) => el("p", {}, el("b", {}, `${line.label}：`),
    ...(line.words.length ? line.words : [{ word: line.text, start: line.start, end: line.end }]).map((w) => {
      const span = el("span", { class: "w", "data-start": w.start, onclick: () => { player.currentTime = w.start; player.play().catch(() => {}); } }, w.word + " ");
      WORDS.push({ span, start: w.start, end: w.end });
      return span;
    }))));
}

// The ticket's call-backs (回拨) under the call they follow; each plays in the same player.
function drawCallbacks(rec) {
  $("#callbacks-of").replaceChildren(...(rec.callbacks || []).map((c) => el("li", { "data-attempt": c.id },
    `${T.call_back} ${fmtTime(c.started_at)} · ${T.agent} ${c.agent} · ${c.status_label} · ${fmtSecs(c.talk_seconds)} `,
    c.recorded ? el("button", { class: "link", "data-action": "play-callback", onclick: () => {
      const player = $("#player");
      player.src = `/web/api/callbacks/attempts/${c.id}/audio`;
      player.play().catch(() => {});
      $("#now-playing").textContent = `${T.call_back} ${rec.caller_number} · ${fmtTime(c.started_at)}`;
      WORDS = [];
      $("#transcript").replaceChildren(el("p", { class: "muted" }, T.no_transcript));
    } }, T.play) : "")));
}

function highlight() {
  const t = $("#player").currentTime;
  for (const w of WORDS) w.span.classList.toggle("now", t >= w.start && t < w.end + 0.05);
}

document.addEventListener("DOMContentLoaded", () => {
  // The hotline's day (China time), as the server counts it; toISOString would give the UTC day,
  // which is yesterday in China until 08:00.
  const today = new Intl.DateTimeFormat("en-CA", { timeZone: HOTLINE_ZONE }).format(new Date());
  root().replaceChildren(
    el("section", { class: "card" },
      el("h2", {}, T.wallboard, " ", el("span", { class: "muted", id: "board-at" })),
      el("ul", { class: "alerts", id: "board-alerts" }),
      el("div", { class: "tiles", id: "tiles" }),
      el("table", {}, el("thead", {}, el("tr", {}, ...["queue", "waiting_callers", "longest_wait", "answered", "abandoned", "service_level"].map((k) => el("th", {}, T[k])))), el("tbody", { id: "board-queues" })),
      el("div", { class: "chips", id: "board-agents" })),
    el("div", { class: "two" },
      el("section", { class: "card" },
        el("h2", {}, T.recordings),
        el("form", { class: "filters", id: "filters", onsubmit: (ev) => { ev.preventDefault(); search(); } },
          el("label", {}, T.date_from, el("input", { type: "date", name: "date_from", value: today })),
          el("label", {}, T.date_to, el("input", { type: "date", name: "date_to", value: today })),
          el("label", {}, T.agent, el("input", { name: "agent", size: 6 })),
          el("label", {}, T.call_type, el("select", { name: "call_type" }, el("option", { value: "" }, "—"), ...Object.entries(T.types).map(([v, l]) => el("option", { value: v }, l)))),
          el("label", {}, T.number, el("input", { name: "number", size: 11 })),
          el("label", {}, T.transcript_search, el("input", { name: "q", size: 10 })),
          el("button", { class: "primary", id: "btn-search" }, T.filter)),
        el("table", {}, el("thead", {}, el("tr", {}, ...["call_time", "caller_number", "agent", "call_type", "duration", "ticket_number"].map((k) => el("th", {}, T[k])))), el("tbody", { id: "rec-rows" }))),
      el("section", { class: "card" },
        el("h2", {}, T.play, " ", el("span", { class: "muted", id: "now-playing" })),
        el("audio", { id: "player", controls: true, preload: "metadata", style: "width:100%" }),
        el("ul", { class: "list small", id: "callbacks-of" }),
        el("h2", {}, T.transcript),
        el("div", { class: "transcript", id: "transcript" }))),
  );
  $("#player").addEventListener("timeupdate", highlight);
  Live.on("wallboard", ({ board }) => drawBoard(board));
  search().finally(() => { document.body.dataset.ready = "1"; });
});
