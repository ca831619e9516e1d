// 系统管理: IVR menu editor (validated, applied through AMI, versioned, rollback) and users.
"use strict";
function drawMenu(data) {
  $("#menu-text").value = data.content;
  $("#menu-path").textContent = data.path;
  $("#versions").replaceChildren(...data.versions.map((v, i) => el("li", { "data-version": v.id },
    el("div", {}, el("b", {}, `#${v.id}`), ` ${fmtTime(v.created_at)} · ${T.author} ${v.author} · ${v.comment || ""} `,
      i === 0 ? el("span", { class: "chip on" }, T.applied) : el("button", { class: "link", "data-action": "rollback", onclick: async () => {
        try { drawMenu(await api("POST", `/web/api/admin/menu/versions/${v.id}/rollback`)); $("#menu-msg").textContent = T.applied; }
        catch (e) { $("#menu-error").textContent = e.message; }
      } }, T.rollback)),
    v.diff ? el("pre", { class: "diff" }, v.diff) : "")));
}

async function saveMenu() {
  $("#menu-error").textContent = ""; $("#menu-msg").textContent = T.loading;
  try {
    drawMenu(await api("POST", "/web/api/admin/menu", { content: $("#menu-text").value, comment: $("#menu-comment").value }));
    $("#menu-msg").textContent = T.applied;
  } catch (e) { $("#menu-msg").textContent = ""; $("#menu-error").textContent = e.message; }
}

async function loadUsers() {
  const rows = await api("GET", "/web/api/admin/users");
  $("#users").replaceChildren(...rows.map((u) => el("tr", {}, el("td", {}, u.username), el("td", {}, u.display_name),
    el("td", {}, u.roles.map((r) => T.roles_map[r] || r).join("、")), el("td", {}, u.extension || "—"))));
}

document.addEventListener("DOMContentLoaded", async () => {
  const roleBoxes = Object.entries(T.roles_map).filter(([r]) => r !== "unit").map(([r, label]) =>
    el("label", { class: "check" }, el("input", { type: "checkbox", name: "roles", value: r }), label));
  $("#admin-root").replaceChildren(el("div", { class: "two" },
    el("section", { class: "card" },
      el("h2", {}, T.ivr_menu, " ", el("span", { class: "muted", id: "menu-path" })),
      el("textarea", { class: "code", id: "menu-text", spellcheck: "false" }),
      el("div", { class: "buttons" }, el("input", { id: "menu-comment", placeholder: "说明", style: "width:240px" }),
        el("button", { class: "primary", id: "btn-apply", onclick: saveMenu }, T.save_apply)),
      el("p", { class: "error", id: "menu-error", role: "alert" }), el("p", { class: "ok", id: "menu-msg" })),
    el("div", { class: "console" },
      el("section", { class: "card" }, el("h2", {}, T.versions), el("ul", { class: "list small", id: "versions" })),
      el("section", { class: "card" }, el("h2", {}, T.users),
        el("table", {}, el("thead", {}, el("tr", {}, ...["username", "display_name", "roles", "extension"].map((k) => el("th", {}, T[k])))), el("tbody", { id: "users" })),
        el("form", { class: "form", id: "user-form", onsubmit: async (ev) => {
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
          el("button", { class: "primary" }, T.create_user))))));
  drawMenu(await api("GET", "/web/api/admin/menu"));
  await loadUsers();
  document.body.dataset.ready = "1";
});
