// The CV page: every value from the server goes in with textContent, never as HTML.
"use strict";

// The CLI prints the token percent-encoded, so "+", "&", "#" and "%" survive; one typed
// by hand that does not decode is taken as it is.
const token = (() => {
  const raw = (location.hash.match(/(?:^#|&)token=([^&]*)/) || [])[1] || "";
  try { return decodeURIComponent(raw); } catch { return raw; }
})();
const rows = new Map(); // job id -> <tr>
let lastSeq = 0;
let source = null;

const $ = (id) => document.getElementById(id);
const project = () => $("project").value.trim();
// Every API call carries the token in the query: a header could not hold a non-Latin-1 one.
const withToken = (url) => (token ? `${url}${url.includes("?") ? "&" : "?"}token=${encodeURIComponent(token)}` : url);

async function api(path, options = {}) {
  const headers = { "x-litequeue": "1", ...(options.headers || {}) };
  const response = await fetch(withToken(path), { ...options, headers });
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

function render(job) {
  if (project() && job.project !== project()) return;
  let tr = rows.get(job.id);
  if (!tr) {
    tr = document.createElement("tr");
    tr.dataset.id = job.id;
    rows.set(job.id, tr);
    $("jobs").tBodies[0].prepend(tr);
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
    b.addEventListener("click", (e) => { e.stopPropagation(); act(job.id, action); });
    actions.append(b);
  };
  if (job.status === "failed" || job.status === "cancelled") button("retry", "retry");
  if (job.status === "queued" || job.status === "running") button("cancel", "cancel");
  if (job.status === "succeeded") button("view", "view");
  tr.append(actions);
}

async function act(id, action) {
  try {
    if (action === "view") return show(id);
    render(await api(`api/jobs/${id}/${action}`, { method: "POST" }));
  } catch (error) {
    $("upload-status").textContent = error.message;
  }
}

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
  add("email", contact.email);
  add("phone", contact.phone);
  add("location", contact.location);
  add("jobs", (cv.work_history || []).map((w) => `${w.title || "?"} at ${w.company || "?"}`).join("; "));
  add("education", (cv.education || []).map((e) => `${e.degree || ""} ${e.institution || ""}`).join("; "));
  add("skills", (cv.skills || []).join(", "));
  add("confidence", cv.parse_confidence?.toFixed(2));
  $("detail-json").textContent = JSON.stringify(cv, null, 2);
}

async function load() {
  const state = await api(`api/state?project=${encodeURIComponent(project())}`);
  rows.clear();
  $("jobs").tBodies[0].replaceChildren();
  state.jobs.slice().reverse().forEach(render);
  const list = $("projects");
  list.replaceChildren(...state.projects.map((p) => Object.assign(document.createElement("option"), { value: p })));
  showStats(state);
  lastSeq = state.last_seq;
  follow();
}

function showStats(state) {
  const parts = Object.entries(state.stats || {}).filter(([, n]) => n).map(([s, n]) => `${n} ${s}`);
  if (state.unhandled) parts.push(`${state.unhandled} waiting: no worker running`);
  $("stats").textContent = parts.join(" · ");
}

function follow() {
  if (source) source.close();
  // The browser resends the last id it saw (Last-Event-ID) when it reconnects.
  source = new EventSource(withToken(`api/events?after=${lastSeq}`));
  source.addEventListener("open", () => { $("live").textContent = "live"; $("live").classList.add("on"); });
  source.addEventListener("error", () => { $("live").textContent = "reconnecting…"; $("live").classList.remove("on"); });
  source.addEventListener("job", (message) => {
    const event = JSON.parse(message.data);
    lastSeq = event.seq;
    render(event.job);
    refreshStats();
  });
}

let statsTimer = null;
function refreshStats() {
  clearTimeout(statsTimer);
  statsTimer = setTimeout(async () => {
    const state = await api(`api/state?project=${encodeURIComponent(project())}`);
    showStats(state);
  }, 300);
}

async function upload(files) {
  if (!files.length) return;
  const form = new FormData();
  for (const file of files) form.append("files", file);
  form.append("project", project());
  $("upload-status").textContent = `uploading ${files.length} file(s)…`;
  try {
    const jobs = await api("api/upload", { method: "POST", body: form });
    jobs.forEach(render);
    $("upload-status").textContent = `${jobs.length} file(s) queued`;
  } catch (error) {
    $("upload-status").textContent = error.message;
  }
}

window.addEventListener("DOMContentLoaded", () => {
  const drop = $("drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); upload([...e.dataTransfer.files]); });
  $("picker").addEventListener("change", (e) => upload([...e.target.files]));
  $("project").addEventListener("change", load);
  load().catch((error) => { $("upload-status").textContent = error.message; });
});
