// 系统管理: the telephony files (IVR menu, dialplan, SIP endpoints, queues) edited, validated,
// applied through AMI, versioned and rolled back; the holiday schedule the same way, applied in
// the CRM itself; and staff accounts.
"use strict";
const Editor = { doc: null, version: null, bad: new Set() };

// Line numbers beside the text; the lines a refusal names are marked and can be jumped to.
function drawGutter() {
  const lines = $("#doc-text").value.split("\n").length;
  $("#gutter").replaceChildren(...Array.from({ length: lines }, (_, i) =>
    el("div", { class: Editor.bad.has(i + 1) ? "bad" : "" }, String(i + 1))));
  $("#gutter").scrollTop = $("#doc-text").scrollTop;
}

function goToLine(line) {
  const area = $("#doc-text");
  const lines = area.value.split("\n");
  const start = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
  area.focus();
  area.setSelectionRange(start, start + (lines[line - 1] || "").length);
  const height = parseFloat(getComputedStyle(area).lineHeight) || 18;
  area.scrollTop = Math.max(0, (line - 4) * height);
  drawGutter();
}

function showProblems(error) {
  const problems = error.data?.problems || [];
  Editor.bad = new Set(problems.filter((p) => p.file === Editor.doc.file && p.line).map((p) => p.line));
  const refused = Editor.doc.applies_to === "crm" ? T.refused_n_crm : T.refused_n;
  $("#doc-error").textContent = problems.length ? refused.replace("{n}", problems.length) : error.message;
  $("#problems").replaceChildren(...problems.map((p) => el("li", {},
    p.file === Editor.doc.file && p.line
      ? el("button", { class: "link", onclick: () => goToLine(p.line) }, `${p.file} ${T.line_n.replace("{n}", p.line)}`)
      : el("b", {}, p.line ? `${p.file} ${T.line_n.replace("{n}", p.line)}` : p.file),
    `：${p.message}`)));
  drawGutter();
  if (Editor.bad.size) goToLine(Math.min(...Editor.bad));
}

function clearMessages(text = "") {
  Editor.bad = new Set();
  $("#doc-error").textContent = ""; $("#problems").replaceChildren(); $("#doc-msg").textContent = text;
}

function drawDocument(data) {
  Editor.version = data.version;
  Editor.doc = { ...Editor.doc, ...data, file: data.path.split("/").pop() };
  $("#doc-text").value = data.content;
  $("#doc-path").textContent = data.from_software ? T.from_software.replace("{path}", data.path) : data.path;
  $("#btn-shipped").hidden = data.shipped === null || data.shipped === data.content;
  document.querySelectorAll("#doc-tabs button").forEach((b) => b.classList.toggle("active", b.dataset.doc === data.name));
  $("#versions").replaceChildren(...data.versions.map((v, i) => el("li", { "data-version": v.id },
    el("div", {}, el("b", {}, `#${v.id}`), ` ${fmtTime(v.created_at)} · ${T.author} ${v.author} · ${v.comment || ""} `,
      i === 0 ? el("span", { class: "chip on" }, T.in_use) : el("button", { class: "link", "data-action": "rollback", onclick: () =>
        apply(() => api("POST", `/web/api/admin/documents/${data.name}/versions/${v.id}/rollback`)) }, T.rollback)),
    v.diff ? el("pre", { class: "diff" }, v.diff) : "")));
  drawGutter();
}

async function apply(request) {
  clearMessages(T.checking);
  $("#btn-apply").disabled = true;
  try {
    drawDocument(await request());
    clearMessages(T.applied);
    $("#doc-comment").value = "";
  } catch (e) { $("#doc-msg").textContent = ""; showProblems(e); }
  finally { $("#btn-apply").disabled = false; }
}

async function openDocument(name) {
  clearMessages();
  Editor.doc = { name };
  drawDocument(await api("GET", `/web/api/admin/documents/${name}`));
}

async function loadUsers() {
  const rows = await api("GET", "/web/api/admin/users");
  $("#users").replaceChildren(...rows.map((u) => el("tr", {}, el("td", {}, u.username), el("td", {}, u.display_name),
    el("td", {}, u.roles.map((r) => T.roles_map[r] || r).join("、")), el("td", {}, u.extension || "—"))));
}

// Sign-in locks in force (too many wrong passwords), each released early with one click.
async function loadLocks() {
  const rows = await api("GET", "/web/api/admin/sign-in-locks");
  $("#locks").replaceChildren(...(rows.length ? rows.map((l) => el("li", {},
    `${l.scope === "account" ? T.username : T.address} ${l.key} · ${fmtTime(l.locked_until)} `,
    el("button", { class: "link", onclick: async () => {
      await api("POST", "/web/api/admin/sign-in-locks/release", { scope: l.scope, key: l.key }); loadLocks();
    } }, T.unlock))) : [el("li", { class: "muted" }, T.none)]));
}

function userForm() {
  const roleBoxes = Object.entries(T.roles_map).filter(([r]) => r !== "unit").map(([r, label]) =>
    el("label", { class: "check" }, el("input", { type: "checkbox", name: "roles", value: r }), label));
  return el("form", { class: "form", id: "user-form", onsubmit: async (ev) => {
    ev.preventDefault();
    const f = ev.target;
    try {
      await api("POST", "/web/api/admin/users", { username: f.username.value, display_name: f.display_name.value, password: f.password.value,
        extension: f.extension.value || null, roles: [...f.querySelectorAll("[name=roles]:checked")].map((x) => x.value) });
      f.reset(); $("#user-error").textContent = ""; loadUsers();
    } catch (e) { $("#user-error").textContent = e.message; }
  } },
    el("label", {}, T.username, el("input", { name: "username", required: true })),
    el("label", {}, T.display_name, el("input", { name: "display_name", required: true })),
    el("label", {}, T.password, el("input", { name: "password", type: "password", required: true, autocomplete: "new-password" })),
    el("label", {}, T.extension, el("input", { name: "extension" })),
    el("div", { class: "wide chips" }, ...roleBoxes),
    el("p", { class: "error wide", id: "user-error" }),
    el("button", { class: "primary" }, T.create_user));
}

document.addEventListener("DOMContentLoaded", async () => {
  const docs = await api("GET", "/web/api/admin/documents");
  const text = el("textarea", { class: "code", id: "doc-text", spellcheck: "false", wrap: "off",
    oninput: () => { Editor.bad = new Set(); drawGutter(); }, onscroll: () => { $("#gutter").scrollTop = $("#doc-text").scrollTop; } });
  $("#admin-root").replaceChildren(el("div", { class: "admin-grid" },
    el("section", { class: "card" },
      el("div", { class: "tabs", id: "doc-tabs" }, ...docs.map((d) =>
        el("button", { "data-doc": d.name, onclick: () => openDocument(d.name) }, d.label, el("span", { class: "muted" }, ` ${d.file}`)))),
      el("p", { class: "muted small", id: "doc-path" }),
      el("div", { class: "editor" }, el("div", { class: "gutter", id: "gutter" }), text),
      el("div", { class: "buttons" },
        el("input", { id: "doc-comment", placeholder: T.change_note, style: "width:280px" }),
        el("button", { class: "primary", id: "btn-apply", onclick: () => apply(() => api("POST", `/web/api/admin/documents/${Editor.doc.name}`,
          { content: $("#doc-text").value, comment: $("#doc-comment").value, base_version: Editor.version })) }, T.save_apply),
        el("button", { id: "btn-shipped", hidden: true, onclick: () => { $("#doc-text").value = Editor.doc.shipped; drawGutter(); $("#doc-msg").textContent = T.shipped_loaded; } }, T.load_shipped)),
      el("p", { class: "error", id: "doc-error", role: "alert" }),
      el("ul", { class: "problems", id: "problems" }),
      el("p", { class: "ok", id: "doc-msg" })),
    el("div", { class: "console" },
      el("section", { class: "card" }, el("h2", {}, T.versions), el("ul", { class: "list small", id: "versions" })),
      el("section", { class: "card" }, el("h2", {}, T.users),
        el("table", {}, el("thead", {}, el("tr", {}, ...["username", "display_name", "roles", "extension"].map((k) => el("th", {}, T[k])))), el("tbody", { id: "users" })),
        userForm(),
        el("h2", {}, T.sign_in_locks), el("ul", { class: "list small", id: "locks" })))));
  await openDocument(docs[0].name);
  await loadUsers();
  await loadLocks();
  document.body.dataset.ready = "1";
});
