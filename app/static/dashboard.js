// The runs table: fetches /api/runs and rewrites the rows in place every 10 s (no page reload).
// Rows are built with textContent only, so nothing from a release (tags, errors) is parsed as HTML.
"use strict";

(function () {
  const table = document.getElementById("runs-table");
  const body = document.getElementById("runs");
  const filters = document.getElementById("filters");
  const updated = document.getElementById("updated");
  const empty = document.getElementById("empty");
  const prev = document.getElementById("prev");
  const next = document.getElementById("next");
  const pageInfo = document.getElementById("page-info");
  const refreshMs = Number(table.dataset.refreshMs) || 10000;
  const perPage = 25;
  let page = 1;
  let timer = null;

  function safeUrl(value) {
    if (!value) return null;
    try {
      const url = new URL(value, window.location.origin);
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch (_) {
      return null;
    }
  }

  function cell(text, className) {
    const td = document.createElement("td");
    td.textContent = text == null ? "" : String(text);
    if (className) td.className = className;
    return td;
  }

  function links(run) {
    const td = document.createElement("td");
    td.className = "links";
    for (const [label, value] of [["post", run.post_url], ["video", run.video_url], ["YouTube", run.youtube_url]]) {
      const href = safeUrl(value);
      if (!href) continue;
      const a = document.createElement("a");
      a.href = href;
      a.textContent = label;
      a.rel = "noopener noreferrer";
      a.target = "_blank";
      td.appendChild(a);
    }
    return td;
  }

  function row(run) {
    const tr = document.createElement("tr");
    tr.dataset.runId = run.id;
    tr.dataset.status = run.status;
    tr.appendChild(cell(run.repository, "repository"));
    tr.appendChild(cell(run.tag, "tag"));
    tr.appendChild(cell(run.status, "status status-" + run.status));
    const created = run.created_at ? new Date(run.created_at) : null;
    const when = cell(created ? created.toLocaleString() : "", "created");
    if (created) when.title = run.created_at;
    tr.appendChild(when);
    tr.appendChild(links(run));
    tr.appendChild(cell(run.error, "error"));
    return tr;
  }

  function query() {
    const params = new URLSearchParams();
    const data = new FormData(filters);
    for (const key of ["repository", "status"]) {
      const value = String(data.get(key) || "").trim();
      if (value) params.set(key, value);
    }
    params.set("page", String(page));
    params.set("per_page", String(perPage));
    return params;
  }

  let fetches = 0;

  async function refresh() {
    const fetchNumber = ++fetches;  // which refresh put the rows there (the tests read it)
    table.dataset.fetches = String(fetchNumber);
    try {
      const response = await fetch("/api/runs?" + query().toString(), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
        cache: "no-store",
      });
      if (response.status === 401) {
        window.location.assign("/");  // session expired: show the sign-in form
        return;
      }
      if (!response.ok) {
        updated.textContent = "update failed (HTTP " + response.status + ")";
        return;
      }
      const data = await response.json();
      body.replaceChildren(...data.runs.map(row));
      empty.hidden = data.runs.length > 0;
      const pages = Math.max(1, Math.ceil(data.total / perPage));
      pageInfo.textContent = "page " + data.page + " of " + pages + " · " + data.total + " runs";
      prev.disabled = data.page <= 1;
      next.disabled = !data.next;
      updated.textContent = "updated " + new Date().toLocaleTimeString();
      table.dataset.refreshedAt = String(Date.now());
      table.dataset.renderedFetch = String(fetchNumber);
    } catch (error) {
      updated.textContent = "update failed (" + error.message + ")";
    }
  }

  function schedule() {
    clearInterval(timer);
    timer = setInterval(refresh, refreshMs);
  }

  filters.addEventListener("submit", (event) => {
    event.preventDefault();
    page = 1;
    refresh();
    schedule();
  });
  prev.addEventListener("click", () => { page = Math.max(1, page - 1); refresh(); schedule(); });
  next.addEventListener("click", () => { page += 1; refresh(); schedule(); });

  refresh();
  schedule();
})();
