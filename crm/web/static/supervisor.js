// 质检: live wallboard (pushed), recordings with filters, player + transcript with word timings.
"use strict";
const root = () => $("#supervisor-root");

function tile(key, value, alarm) {
  return el("div", { class: alarm ? "tile alarm" : "tile", "data-k": key }, el("div", { class: "v" }, String(value ?? "—")), el("div", { class: "k" }, T[key]));
}

// The board as last pushed, and how far the browser's clock is from the server's: the waits
// and talk times tick here every second from the moments the server gave, so they grow while a
// caller waits even when no event arrives.
let BOARD = null, SKEW_MS = 0;
const since = (iso) => iso ? Math.max(0, Math.floor((Date.now() - SKEW_MS - Date.parse(iso)) / 1000)) : null;
const waitOf = (row) => row.oldest_queued_at ? Math.max(row.longest_wait, since(row.oldest_queued_at)) : row.longest_wait;

function agentState(a) {
  if (a.call_state === "talking") return ["talking", T.state_talking];
  if (a.call_state === "ringing") return ["ringing", T.state_ringing];
  if (!a.queues.length) return ["", T.state_out];
  if (a.paused) return ["paused", a.pause_reason ? `${T.state_paused}（${a.pause_reason}）` : T.state_paused];
  return ["on", T.state_ready];
}

function drawBoard(board) {
  BOARD = board;
  SKEW_MS = Date.now() - Date.parse(board.at);
  const t = board.total;
  const longest = waitOf(t);
  $("#tiles").replaceChildren(
    tile("waiting_callers", t.waiting, t.waiting > 0),
    tile("longest_wait", fmtSecs(longest), longest > 20),
    tile("answered", t.answered),
    tile("abandoned", t.abandoned, t.abandoned > 0),
    tile("service_level", t.service_level == null ? "—" : t.service_level + "%"),
    tile("overdue_orders", board.overdue_orders, board.overdue_orders > 0),
  );
  $("#tiles [data-k=longest_wait] .v").dataset.tick = "total";
  $("#board-queues").replaceChildren(...board.queues.map((q, i) => el("tr", { "data-queue": q.queue },
    el("td", {}, q.label || q.queue), el("td", {}, q.waiting), el("td", { "data-tick": `queue-${i}` }, fmtSecs(waitOf(q))),
    el("td", {}, q.answered), el("td", {}, q.abandoned), el("td", {}, q.service_level == null ? "—" : q.service_level + "%"))));
  $("#board-agents").replaceChildren(...board.agents.map((a) => {
    const [kind, label] = agentState(a);
    const status = el("span", { class: "chip-state" }, label);
    const timer = el("span", { class: "timer", "data-since": a.call_since || "" }, a.call_since ? " " + fmtSecs(since(a.call_since)) : "");
    const note = el("span", { class: "listen-msg error" });
    return el("span", { class: `chip ${kind}`, "data-extension": a.extension, "data-state": a.call_state || kind || "out" },
      `${a.name || ""} ${a.extension} `, status, timer, " ",
      el("button", { class: "link", "data-listen": a.extension, onclick: async () => {
        note.textContent = "";
        try { await api("POST", `/web/api/listen/${a.extension}`); } catch (e) { note.textContent = e.message; }
      } }, T.listen), note);
  }));
  // From 1 November, while next year's holiday schedule is missing (deadlines counted 预计).
  const calendar = board.calendar_warning ? [el("li", { class: "alarm", "data-kind": "calendar" }, board.calendar_warning)] : [];
  $("#board-alerts").replaceChildren(...calendar, ...(board.alerts || []).map((a) =>
    el("li", { class: "alarm", "data-kind": a.kind }, fmtTime(a.at), " ", a.message)));
  $("#board-at").textContent = fmtTime(board.at);
}

function tick() {
  if (!BOARD) return;
  const longest = $("#tiles [data-tick=total]");
  if (longest) {
    const s = waitOf(BOARD.total);
    longest.textContent = fmtSecs(s);
    longest.closest(".tile").classList.toggle("alarm", s > 20);
  }
  BOARD.queues.forEach((q, i) => { const cell = $(`#board-queues [data-tick="queue-${i}"]`); if (cell) cell.textContent = fmtSecs(waitOf(q)); });
  for (const span of document.querySelectorAll("#board-agents .timer[data-since]")) {
    if (span.dataset.since) span.textContent = " " + fmtSecs(since(span.dataset.since));
  }
}

// 统计指标 (/api/figures): the five rates a supervisor is judged on, over a chosen period, as a
// chart drawn by the ECharts copy the hotline serves itself (crm/web/static/vendor/echarts:
// hotline intranets reach no CDN), and as a table, which also stands in if the chart cannot load.
const RATES = ["answer_rate", "resolution_rate", "satisfaction", "on_time_reply_rate", "repeat_repair_rate"];
let CHART = null;
const hotlineDay = (offsetDays) => new Intl.DateTimeFormat("en-CA", { timeZone: HOTLINE_ZONE }).format(new Date(Date.now() - offsetDays * 86400000));

async function loadFigures() {
  const days = Number($("#fig-period").value);
  const by = $("#fig-by").value;
  const params = new URLSearchParams({ start: hotlineDay(days - 1), end: hotlineDay(0), by });
  const msgBox = $("#fig-msg");
  msgBox.textContent = "";
  let rows;
  try { rows = await api("GET", `/api/figures?${params}`); }
  catch (e) { msgBox.textContent = e.message; return; }
  const pct = (v) => v == null ? null : Math.round(v * 1000) / 10;
  const scale = pct;  // the API gives fractions (0.925); people read 92.5%
  $("#fig-rows").replaceChildren(...(rows.length ? rows.map((r) => el("tr", { "data-key": r.key },
    el("td", {}, r.label), el("td", {}, r.calls), el("td", {}, r.tickets),
    ...RATES.map((k) => el("td", { "data-rate": k }, r[k] == null ? "—" : `${scale(r[k])}%`))))
    : [el("tr", {}, el("td", { colspan: RATES.length + 3, class: "muted" }, T.no_figures))]));
  // A trend shows every day of the period, the days without calls as gaps.
  const byKey = new Map(rows.map((r) => [r.key, r]));
  const points = by === "day" ? Array.from({ length: days }, (_, i) => byKey.get(hotlineDay(days - 1 - i)) || { label: hotlineDay(days - 1 - i) }) : rows;
  const box = $("#fig-chart");
  if (!window.echarts) { msgBox.textContent = T.chart_unavailable; box.hidden = true; return; }
  CHART ||= echarts.init(box, null, { renderer: "canvas" });
  CHART.setOption({
    tooltip: { trigger: "axis", valueFormatter: (v) => v == null ? "—" : `${v}%` },
    legend: { top: 0, data: RATES.map((k) => T[k]) },
    grid: { left: 48, right: 20, top: 40, bottom: 40 },
    xAxis: { type: "category", data: points.map((r) => r.label) },
    yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
    series: RATES.map((k) => ({ name: T[k], type: by === "day" && days > 1 ? "line" : "bar", connectNulls: false, data: points.map((r) => scale(r[k])) })),
  }, true);
  box.dataset.drawn = String(rows.length);
}

function figuresCard() {
  const period = el("select", { id: "fig-period", onchange: loadFigures },
    el("option", { value: "1" }, T.period_today), el("option", { value: "7", selected: "selected" }, T.period_7), el("option", { value: "30" }, T.period_30));
  const by = el("select", { id: "fig-by", onchange: loadFigures },
    el("option", { value: "day" }, T.by_day), el("option", { value: "type" }, T.by_type), el("option", { value: "unit" }, T.by_unit));
  return el("section", { class: "card", id: "figures" },
    el("h2", {}, T.figures),
    el("div", { class: "figures-tools" }, el("label", {}, T.period, " ", period), el("label", {}, T.group_by, " ", by), el("span", { class: "error", id: "fig-msg" })),
    el("div", { class: "figures-chart", id: "fig-chart" }),
    el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, ""), el("th", {}, T.calls_n), el("th", {}, T.tickets_n), ...RATES.map((k) => el("th", {}, T[k])))),
      el("tbody", { id: "fig-rows" })));
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
    figuresCard(),
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
  setInterval(tick, 1000);
  window.addEventListener("resize", () => CHART?.resize());
  Promise.allSettled([search(), loadFigures()]).finally(() => { document.body.dataset.ready = "1"; });
});
