// The CV page: every value from the server goes in with textContent, never as HTML.
"use strict";

// Rows are drawn from the event stream and the state it starts from, never from the
// answer to an upload or an action: an answer can arrive after newer events.
const rows = new Map(); // job id -> <tr>
let lastSeq = 0;
let source = null;

const $ = (id) => document.getElementById(id);
const project = () => $("project").value.trim();

// The token travels in an HttpOnly cookie, set when the start-up link was opened.
async function api(path, options = {}) {
  const headers = { "x-litequeue": "1", ...(options.headers || {}) };
  const response = await fetch(path, { ...options, headers });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error || `${response.status} ${response.statusText}`);
  return body;
}

function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text ?? "";
  if (className) td.className = className;
  return td;
}

// A job new to the list goes on top, unless it comes from a page of older ones.
function render(job, older = false) {
  if (project() && job.project !== project()) return;
  let tr = rows.get(job.id);
  if (!tr) {
    tr = document.createElement("tr");
    tr.dataset.id = job.id;
    rows.set(job.id, tr);
    if (older) $("jobs").tBodies[0].append(tr);
    else $("jobs").tBodies[0].prepend(tr);
  }
  tr.replaceChildren();
  tr.className = `job ${job.status}`;
  tr.append(cell(job.name), cell(job.status, `status ${job.status}`));
  const td = document.createElement("td");
  const bar = document.createElement("progress");
  bar.max = 100;
  bar.value = job.status === "succeeded" ? 100 : job.progress || 0;
  td.append(bar, document.createTextNode(job.status === "running" ? ` ${job.message || ""}` : ""));
  tr.append(td, cell(job.status === "failed" ? job.error : job.person || ""));
  const actions = document.createElement("td");
  const button = (label, action) => {
    const b = document.createElement("button");
    b.textContent = label;
    if (action !== "view" && action !== "why") b.className = "change";
    b.addEventListener("click", (e) => { e.stopPropagation(); act(job.id, action); });
    actions.append(b);
  };
  if (job.status === "failed" || job.status === "cancelled") button("retry", "retry");
  if (job.status === "queued") button("why?", "why");
  if (job.status === "queued" || job.status === "running") button("cancel", "cancel");
  if (job.status === "succeeded") button("view", "view");
  if (job.status !== "running") button("delete", "delete");
  tr.append(actions);
}

function forget(id) {
  rows.get(id)?.remove();
  rows.delete(id);
}

async function act(id, action) {
  try {
    if (action === "view") return await show(id);
    if (action === "why") return await why(id);
    await api(`api/jobs/${id}/${action}`, { method: "POST" });
    say(`job ${id}: ${action} done`);
  } catch (error) {
    say(error.message);
  }
}

// A status line that clears itself after a while, unless something newer was said.
let sayTimer = null;
function say(text, seconds = 5) {
  clearTimeout(sayTimer);
  $("upload-status").textContent = text;
  sayTimer = setTimeout(() => { $("upload-status").textContent = ""; }, seconds * 1000);
}

function item(list, text, when) {
  const li = document.createElement("li");
  li.append(document.createTextNode(text));
  if (when) {
    const span = document.createElement("span");
    span.className = "when";
    span.textContent = ` ${when}`;
    li.append(span);
  }
  $(list).append(li);
}

function period(entry) {
  return [entry.start, entry.end].filter(Boolean).join(" – ");
}

// Why a queued CV has not started (its schedule, its queue's limits, what it waits
// for), in the row's last column until the row changes.
async function why(id) {
  const job = await api(`api/jobs/${id}`);
  const tr = rows.get(id);
  if (tr && job.status === "queued") tr.cells[3].textContent = job.waiting.join("; ");
}

// The extracted CV as a profile, beside the file it was read from.
async function show(id) {
  const job = await api(`api/jobs/${id}`);
  const cv = job.result || {};
  $("detail").hidden = false;
  $("detail-title").textContent = `${job.name}: ${(cv.contact || {}).name || "no name found"}`;
  const fields = $("detail-fields");
  fields.replaceChildren();
  const add = (label, value) => {
    const dt = document.createElement("dt");
    const dd = document.createElement("dd");
    dt.textContent = label;
    dd.textContent = value || "—";
    fields.append(dt, dd);
  };
  const contact = cv.contact || {};
  add("name", contact.name);
  add("email", contact.email);
  add("phone", contact.phone);
  add("location", contact.location);
  add("links", (contact.links || []).join(" "));
  add("summary", cv.summary);
  for (const list of ["profile-work", "profile-education", "profile-languages", "profile-warnings"]) {
    $(list).replaceChildren();
  }
  for (const w of cv.work_history || []) {
    item("profile-work", [w.title, w.company, w.location].filter(Boolean).join(", "), period(w));
  }
  for (const e of cv.education || []) {
    item("profile-education", [e.degree, e.field, e.institution].filter(Boolean).join(", "), period(e));
  }
  for (const l of cv.languages || []) item("profile-languages", [l.name, l.level].filter(Boolean).join(": "));
  for (const w of cv.warnings || []) item("profile-warnings", w);
  $("profile-skills").textContent = (cv.skills || []).join(", ") || "—";
  $("profile-confidence").textContent =
    typeof cv.parse_confidence === "number" ? cv.parse_confidence.toFixed(2) : "—";
  $("detail-json").textContent = JSON.stringify(cv, null, 2);
  // PDF and text show in the browser's own viewer; a DOCX would only download.
  const viewable = /\.(pdf|txt)$/i.test(job.name);
  $("original").hidden = !viewable;
  if (viewable) $("original").src = `api/jobs/${id}/file`;
  else $("original").removeAttribute("src");
  $("original-link").hidden = viewable;
  $("original-link").href = `api/jobs/${id}/file`;
}

async function load() {
  const state = await api(`api/state?project=${encodeURIComponent(project())}`);
  rows.clear();
  oldestShown = null;
  $("jobs").tBodies[0].replaceChildren();
  state.jobs.slice().reverse().forEach((job) => render(job));
  showPage(state);
  showCount(rows.size, state.total);
  const list = $("projects");
  list.replaceChildren(...state.projects.map((p) => Object.assign(document.createElement("option"), { value: p })));
  showStats(state);
  document.body.classList.toggle("read-only", Boolean(state.read_only));
  lastSeq = state.last_seq;
  follow();
}

// The list comes in pages, newest first: "older" asks for the page after the oldest shown.
let oldestShown = null;
function showPage(page) {
  if (page.jobs.length) oldestShown = page.jobs[page.jobs.length - 1].id;
  $("older").hidden = !page.more;
}

async function showOlder() {
  const page = await api(`api/jobs?before=${oldestShown}&project=${encodeURIComponent(project())}`);
  page.jobs.forEach((job) => render(job, true));
  showPage(page);
  refreshStats();
}

function showCount(shown, total) {
  $("more").textContent = total > shown ? `showing the newest ${shown} of ${total} jobs` : "";
}

function showStats(state) {
  const parts = Object.entries(state.stats || {}).filter(([, n]) => n).map(([s, n]) => `${n} ${s}`);
  if (state.unhandled) parts.push(`${state.unhandled} waiting: no worker running`);
  $("stats").textContent = parts.join(" · ");
}

function follow() {
  if (source) source.close();
  // The browser resends the last id it saw (Last-Event-ID) when it reconnects.
  source = new EventSource(`api/events?after=${lastSeq}`);
  source.addEventListener("open", () => { $("live").textContent = "live"; $("live").classList.add("on"); });
  source.addEventListener("error", () => { $("live").textContent = "reconnecting…"; $("live").classList.remove("on"); });
  source.addEventListener("job", (message) => {
    const event = JSON.parse(message.data);
    lastSeq = event.seq;
    if (event.type === "deleted") forget(event.id);
    else render(event.job);
    refreshStats();
  });
}

let statsTimer = null;
function refreshStats() {
  clearTimeout(statsTimer);
  statsTimer = setTimeout(async () => {
    const state = await api(`api/state?project=${encodeURIComponent(project())}`);
    showStats(state);
    showCount(rows.size, state.total);
  }, 300);
}

// Dropped files are first looked up by their SHA-256: new, already processed, or
// processed by an older version of the reader (and so worth reading again).
let chosen = [];

async function sha256(file) {
  const digest = await crypto.subtle.digest("SHA-256", await file.arrayBuffer());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function preview(files) {
  if (!files.length) return;
  chosen = files;
  const body = $("preview-files").tBodies[0];
  body.replaceChildren();
  $("preview").hidden = false;
  $("force").checked = false;
  $("preview-summary").textContent = "looking the files up…";
  try {
    // Only a secure context (https, or this machine's loopback) hashes files.
    if (!window.crypto?.subtle) throw new Error("files cannot be looked up over plain http");
    const digests = await Promise.all(files.map(sha256));
    const known = await api("api/preview", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ sha256: digests }),
    });
    files.forEach((file, i) => {
      const tr = document.createElement("tr");
      tr.append(cell(file.name), cell(known.states[i]));
      body.append(tr);
    });
    $("preview-summary").textContent = known.summary;
  } catch (error) {
    $("preview-summary").textContent = `${files.length} file(s): ${error.message}`;
  }
  $("send").focus();
}

async function upload(files) {
  if (!files.length) return;
  $("preview").hidden = true;
  const form = new FormData();
  for (const file of files) form.append("files", file);
  form.append("project", project());
  if ($("force").checked) form.append("force", "1");
  say(`uploading ${files.length} file(s)…`, 600);
  try {
    const answer = await api("api/upload", { method: "POST", body: form });
    const skipped = answer.filter((job) => job.skipped).length;
    say(`${answer.length - skipped} file(s) queued${skipped ? `, ${skipped} already processed` : ""}`);
  } catch (error) {
    say(error.message);
  }
}

function exports() {
  const query = project() ? `?project=${encodeURIComponent(project())}` : "";
  $("export-jsonl").href = `api/export/cvs.jsonl${query}`;
  $("export-csv").href = `api/export/cvs.csv${query}`;
}

window.addEventListener("DOMContentLoaded", () => {
  const drop = $("drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); preview([...e.dataTransfer.files]); });
  $("picker").addEventListener("change", (e) => preview([...e.target.files]));
  $("send").addEventListener("click", () => upload(chosen));
  $("drop-preview").addEventListener("click", () => { $("preview").hidden = true; });
  $("project").addEventListener("change", () => { exports(); load(); });
  $("older").addEventListener("click", () => showOlder().catch((error) => say(error.message)));
  load().catch((error) => say(error.message, 600));
});
