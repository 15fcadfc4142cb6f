// The litequeue dashboard. Every value from the server goes in with textContent or
// as an attribute, never as HTML; every request goes to this page's own origin, by
// relative address, so the app also works mounted under a prefix.
"use strict";

const STATUSES = ["queued", "running", "succeeded", "failed", "cancelled"];
const SVG = "http://www.w3.org/2000/svg";
const $ = (id) => document.getElementById(id);

const state = {
  readOnly: false,
  workers: [],
  lastSeq: 0,
  view: "queues",
  query: new URLSearchParams(), // the job table's filter and order
  pages: [], // positions of the pages before this one (keyset paging)
  position: null, // where this page starts
  next: null, // where the next page starts, or null
  rows: new Map(), // job id -> <tr> of the job table
  jobId: null, // the job page's job
  refresh: null, // a pending redraw of the queues and workers
  source: null, // the event stream
};

// The token travels in an HttpOnly cookie, set when the start-up link was opened.
async function api(path, options = {}) {
  const headers = { "x-litequeue": "1", ...(options.headers || {}) };
  const response = await fetch(path, { ...options, headers });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error || `${response.status} ${response.statusText}`);
  return body;
}

function show(problem) {
  $("problem").hidden = !problem;
  $("problem").textContent = problem ? String(problem.message || problem) : "";
}

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function link(href, text) {
  const a = el("a", text);
  a.href = href;
  return a;
}

function when(iso) {
  return iso ? new Date(iso).toLocaleString() : "";
}

function duration(seconds) {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86400) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} days`;
}

// Whether a live worker would claim a job of this kind in this queue.
function runnable(queue, kind) {
  return state.workers.some(
    (w) => w.queues.includes(queue) && (w.kinds === null || w.kinds.includes(kind)));
}

// -- views ---------------------------------------------------------------------------

function route() {
  const hash = location.hash.replace(/^#\/?/, "");
  const [path, query] = hash.split("?");
  const [view, id] = path.split("/");
  state.view = ["queues", "jobs", "job", "workers"].includes(view) ? view : "queues";
  for (const name of ["queues", "jobs", "job", "workers"]) {
    $(`${name}-view`).hidden = name !== state.view;
  }
  for (const a of $("nav").querySelectorAll("a[data-view]")) {
    if (a.dataset.view === (state.view === "job" ? "jobs" : state.view)) {
      a.setAttribute("aria-current", "page");
    } else {
      a.removeAttribute("aria-current");
    }
  }
  show(null);
  if (state.view === "jobs") openJobs(new URLSearchParams(query || ""));
  else if (state.view === "job") openJob(Number(id));
  else loadState();
}

async function loadState() {
  try {
    const answer = await api("api/state");
    state.readOnly = answer.read_only;
    state.workers = answer.workers;
    document.body.classList.toggle("read-only", answer.read_only);
    $("mode").hidden = !answer.read_only;
    drawViews(answer.views);
    drawQueues(answer.queues);
    drawWorkers(answer.workers);
    if (!state.source) {
      state.lastSeq = answer.last_seq;
      connect();
    }
    for (const tr of state.rows.values()) flag(tr);
  } catch (problem) {
    show(problem);
  }
}

// Redraw the counts and workers at most twice a second while events arrive.
function soon() {
  if (state.refresh) return;
  state.refresh = setTimeout(() => {
    state.refresh = null;
    loadState();
  }, 500);
}

function drawViews(views) {
  const nav = $("nav");
  for (const old of nav.querySelectorAll("a[data-plugin]")) old.remove();
  for (const view of views) {
    const a = link(`views/${encodeURIComponent(view.name)}/`, view.title);
    a.dataset.plugin = view.name;
    nav.append(a);
  }
}

function chart(perMinute) {
  const width = 180, height = 28, n = perMinute.succeeded.length;
  const top = Math.max(1, ...perMinute.succeeded, ...perMinute.failed);
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("width", width);
  svg.setAttribute("height", height);
  svg.setAttribute("role", "img");
  const done = perMinute.succeeded.reduce((a, b) => a + b, 0);
  const failed = perMinute.failed.reduce((a, b) => a + b, 0);
  const title = document.createElementNS(SVG, "title");
  title.textContent = `last hour: ${done} succeeded, ${failed} failed`;
  svg.append(title);
  svg.setAttribute("aria-label", title.textContent);
  const step = width / n;
  for (const [series, className] of [["succeeded", "bar-ok"], ["failed", "bar-failed"]]) {
    perMinute[series].forEach((count, i) => {
      if (!count) return;
      const rect = document.createElementNS(SVG, "rect");
      const h = Math.max(1, (count / top) * (height - 2));
      rect.setAttribute("x", i * step + (series === "failed" ? step / 2 : 0));
      rect.setAttribute("y", height - h);
      rect.setAttribute("width", Math.max(1, step / 2));
      rect.setAttribute("height", h);
      rect.setAttribute("class", className);
      svg.append(rect);
    });
  }
  const label = el("span", ` ${done} ok, ${failed} failed`, "chart-label");
  const span = el("span");
  span.append(svg, label);
  return span;
}

function drawQueues(queues) {
  const body = $("queues").tBodies[0];
  body.replaceChildren();
  for (const q of queues) {
    const tr = el("tr");
    tr.dataset.queue = q.name;
    const name = el("td");
    name.append(link(`#/jobs?queue=${encodeURIComponent(q.name)}`, q.name));
    tr.append(name);
    for (const status of STATUSES) {
      const td = el("td", "", status);
      td.dataset.status = status;
      td.append(link(
        `#/jobs?queue=${encodeURIComponent(q.name)}&status=${status}`, q.counts[status] ?? 0));
      tr.append(td);
    }
    const oldest = el("td");
    if (q.oldest) {
      oldest.append(link(`#/job/${q.oldest.id}`, `#${q.oldest.id}, ${duration(q.oldest.waiting)}`));
    }
    tr.append(oldest);
    const graph = el("td");
    graph.append(chart(q.per_minute));
    tr.append(graph);
    tr.append(limitCell(q), pauseCell(q));
    body.append(tr);
  }
}

function limitCell(q) {
  const td = el("td");
  const input = el("input");
  input.type = "number";
  input.min = "0";
  input.placeholder = "none";
  input.value = q.limit ?? "";
  input.setAttribute("aria-label", `limit of ${q.name}`);
  input.disabled = state.readOnly;
  input.addEventListener("change", () => {
    const limit = input.value === "" ? null : Number(input.value);
    changeQueue(q.name, { limit });
  });
  td.append(input);
  return td;
}

function pauseCell(q) {
  const td = el("td");
  td.append(el("span", q.paused ? "paused " : "running ", q.paused ? "paused" : ""));
  if (!state.readOnly) {
    const button = el("button", q.paused ? "resume" : "pause");
    button.type = "button";
    button.addEventListener("click", () => changeQueue(q.name, { paused: !q.paused }));
    td.append(button);
  }
  return td;
}

async function changeQueue(name, changes) {
  try {
    await api(`api/queues/${encodeURIComponent(name)}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(changes),
    });
    loadState();
  } catch (problem) {
    show(problem);
  }
}

function drawWorkers(workers) {
  const body = $("workers").tBodies[0];
  body.replaceChildren();
  for (const w of workers) {
    const tr = el("tr");
    tr.append(el("td", w.name), el("td", w.host ?? ""), el("td", w.pid ?? ""),
      el("td", w.queues.join(", ")), el("td", w.kinds === null ? "any" : w.kinds.join(", ")),
      el("td", w.holding), el("td", when(w.last_heartbeat)), el("td", when(w.started_at)));
    body.append(tr);
  }
  $("no-workers").hidden = workers.length > 0;
}

// -- the job table -------------------------------------------------------------------

function filtersToForm(query) {
  const form = $("filters");
  for (const name of ["queue", "kind", "tag", "text"]) form.elements[name].value = query.get(name) || "";
  form.elements.order.value = query.get("order") || "desc";
  form.elements.sort.value = query.get("sort") || "id";
  const chosen = query.getAll("status");
  for (const box of $("statuses").querySelectorAll("input")) box.checked = chosen.includes(box.value);
}

function formToFilters() {
  const form = $("filters");
  const query = new URLSearchParams();
  for (const box of $("statuses").querySelectorAll("input:checked")) query.append("status", box.value);
  for (const name of ["queue", "kind", "tag", "text"]) {
    const value = form.elements[name].value.trim();
    if (value) query.set(name, value);
  }
  if (form.elements.sort.value !== "id") query.set("sort", form.elements.sort.value);
  if (form.elements.order.value !== "desc") query.set("order", form.elements.order.value);
  return query;
}

// Only the filter: what a count or a bulk action is about.
function filterOnly(query) {
  const only = new URLSearchParams();
  for (const [key, value] of query) if (key !== "order" && key !== "sort") only.append(key, value);
  return only;
}

function openJobs(query) {
  state.query = query;
  state.pages = [];
  state.position = null;
  filtersToForm(query);
  $("bulk-confirm").hidden = true;
  $("bulk-status").textContent = "";
  if (!state.source) loadState();
  loadPage();
}

async function loadPage() {
  const query = new URLSearchParams(state.query);
  if (state.position) query.set("after", state.position);
  try {
    const answer = await api(`api/jobs?${query}`);
    state.next = answer.next;
    const body = $("jobs").tBodies[0];
    body.replaceChildren();
    state.rows.clear();
    for (const job of answer.jobs) body.append(jobRow(job));
    const first = body.rows[0];
    if (first) first.tabIndex = 0;
    $("next-page").disabled = !answer.next;
    $("prev-page").disabled = state.pages.length === 0;
    $("first-page").disabled = state.pages.length === 0;
    const limit = Number(state.query.get("limit") || 50);
    const partial = answer.next && answer.jobs.length < limit;
    $("page-status").textContent = partial
      ? `page ${state.pages.length + 1}: ${answer.jobs.length} found in the next ${answer.scan} jobs;`
        + " \"next\" searches further"
      : answer.jobs.length
        ? `page ${state.pages.length + 1}: ${answer.jobs.length} jobs${answer.next ? "" : " (last page)"}`
        : "no jobs match";
  } catch (problem) {
    show(problem);
  }
}

function jobRow(job) {
  const tr = el("tr");
  tr.dataset.id = job.id;
  tr.tabIndex = -1;
  fillRow(tr, job);
  state.rows.set(job.id, tr);
  return tr;
}

function fillRow(tr, job) {
  tr.replaceChildren();
  tr.dataset.queue = job.queue;
  tr.dataset.kind = job.kind;
  tr.dataset.status = job.status;
  const id = el("td");
  id.append(link(`#/job/${job.id}`, job.id));
  const progress = el("td");
  if (job.status === "running") {
    const bar = el("progress");
    bar.max = 100;
    bar.value = job.progress;
    progress.append(bar, el("span", ` ${job.message ?? ""}`));
  }
  tr.append(id, el("td", job.kind), el("td", job.queue), el("td", job.status, `status ${job.status}`),
    el("td", `${job.attempt}/${job.max_attempts}`), progress,
    el("td", job.error ?? job.preview, job.error ? "error" : "preview"), el("td", when(job.updated_at)));
  flag(tr);
}

// Queued jobs that no live worker would claim are flagged.
function flag(tr) {
  const cell = tr.cells[3];
  if (!cell) return;
  const stuck = tr.dataset.status === "queued" && !runnable(tr.dataset.queue, tr.dataset.kind);
  tr.classList.toggle("unrunnable", stuck);
  const old = cell.querySelector(".no-worker");
  if (stuck && !old) {
    const badge = el("span", "no worker", "no-worker");
    badge.title = "no live worker serves this queue with a handler for this kind";
    cell.append(" ", badge);
  } else if (!stuck && old) {
    old.remove();
  }
}

// Whether a job (as the stream sends it) belongs on the first page shown now.
function matches(job) {
  const q = state.query;
  const statuses = q.getAll("status");
  if (statuses.length && !statuses.includes(job.status)) return false;
  if (q.get("queue") && q.get("queue") !== job.queue) return false;
  if (q.get("kind") && q.get("kind") !== job.kind) return false;
  if (q.get("tag") && !job.tags.includes(q.get("tag"))) return false;
  if (q.get("text")) return false; // the page's text cannot be checked here: no guess
  return true;
}

function onJobEvent(event) {
  if (state.view !== "jobs") return;
  const tr = state.rows.get(event.job_id);
  if (event.type === "deleted") {
    if (tr) {
      tr.remove();
      state.rows.delete(event.job_id);
    }
    return;
  }
  if (!event.job) return;
  if (tr) {
    fillRow(tr, event.job);
  } else if (
    event.type === "enqueued" && state.pages.length === 0 && !state.query.get("order")
    && !state.query.get("sort") && matches(event.job)
  ) {
    const body = $("jobs").tBodies[0];
    body.prepend(jobRow(event.job));
  }
}

function moveFocus(tr, step) {
  const rows = [...$("jobs").tBodies[0].rows];
  const at = rows.indexOf(tr);
  const target = rows[Math.min(rows.length - 1, Math.max(0, at + step))];
  if (!target) return;
  for (const row of rows) row.tabIndex = -1;
  target.tabIndex = 0;
  target.focus();
}

function tableKeys(event) {
  const tr = event.target.closest("tr[data-id]");
  if (!tr) return;
  const steps = { ArrowDown: 1, j: 1, ArrowUp: -1, k: -1, PageDown: 10, PageUp: -10 };
  if (event.key in steps) {
    event.preventDefault();
    moveFocus(tr, steps[event.key]);
  } else if (event.key === "Home" || event.key === "End") {
    event.preventDefault();
    moveFocus(tr, event.key === "Home" ? -Infinity : Infinity);
  } else if (event.key === "Enter") {
    event.preventDefault();
    location.hash = `#/job/${tr.dataset.id}`;
  }
}

async function askBulk(action) {
  const filter = filterOnly(state.query);
  try {
    const { count } = await api(`api/jobs/count?${filter}`);
    state.bulk = { action, filter, count };
    $("bulk-question").textContent =
      `${action} ${count} job${count === 1 ? "" : "s"} matching this filter?`;
    $("bulk-confirm").hidden = false;
    $("bulk-yes").focus();
  } catch (problem) {
    show(problem);
  }
}

async function doBulk() {
  const { action, filter, count } = state.bulk;
  $("bulk-confirm").hidden = true;
  $("bulk-status").textContent = `${action}: working…`;
  const query = new URLSearchParams(filter);
  query.set("expected", count);
  try {
    const done = await api(`api/jobs/bulk/${action}?${query}`, { method: "POST" });
    $("bulk-status").textContent =
      `${action}: ${done.done} done${done.skipped ? `, ${done.skipped} skipped (changed meanwhile)` : ""}`;
    loadPage();
  } catch (problem) {
    $("bulk-status").textContent = "";
    show(problem);
  }
}

// -- one job ---------------------------------------------------------------------------

function json(value) {
  return value === null || value === undefined ? "" : JSON.stringify(value, null, 2);
}

async function openJob(id) {
  state.jobId = id;
  try {
    const job = await api(`api/jobs/${id}`);
    if (!state.source) loadState();
    drawJob(job);
  } catch (problem) {
    $("job-title").textContent = `Job ${id}`;
    show(problem);
  }
}

function drawJob(job) {
  $("job-title").textContent = `Job ${job.id}: ${job.kind}`;
  drawJobState(job);
  const reasons = $("job-waiting").querySelector("ul");
  reasons.replaceChildren(...job.waiting.map((reason) => el("li", reason)));
  $("job-waiting").hidden = job.waiting.length === 0;
  $("job-payload").textContent = json(job.payload);
  $("job-result").textContent = json(job.result);
  const error = job.error;
  $("job-error").textContent = error
    ? `${error.type}: ${error.message}${error.traceback ? `\n\n${error.traceback}` : ""}` : "";
  $("job-events").replaceChildren();
  $("job-log").replaceChildren();
  state.attempts = new Map();
  for (const event of job.events) addJobEvent(event);
  drawAttempts();
  $("job-parent").replaceChildren();
  if (job.parent_id !== null) {
    $("job-parent").append("parent: ", link(`#/job/${job.parent_id}`, `#${job.parent_id}`));
  }
  const children = $("job-children").tBodies[0];
  children.replaceChildren();
  for (const child of job.children) {
    const tr = el("tr");
    const id = el("td");
    id.append(link(`#/job/${child.id}`, `#${child.id}`));
    tr.append(id, el("td", child.kind), el("td", child.status, child.status));
    children.append(tr);
  }
  $("job-children").hidden = job.children.length === 0;
}

function drawJobState(job) {
  const fields = $("job-fields");
  fields.replaceChildren();
  const items = [
    ["status", job.status], ["queue", job.queue], ["attempt", `${job.attempt}/${job.max_attempts}`],
    ["priority", job.priority], ["tags", job.tags.join(", ")], ["created", when(job.created_at)],
    ["due", when(job.run_at)], ["updated", when(job.updated_at)], ["finished", when(job.finished_at)],
  ];
  if (job.status === "queued" && !runnable(job.queue, job.kind)) {
    items.push(["warning", "no live worker serves this queue with a handler for this kind"]);
  }
  for (const [name, value] of items) {
    const dd = el("dd", value);
    if (name === "status") dd.className = `status ${value}`;
    fields.append(el("dt", name), dd);
  }
  if (job.status !== "queued") $("job-waiting").hidden = true;
  $("job-progress").value = job.progress;
  $("job-message").textContent = job.message ?? "";
}

function addJobEvent(event) {
  const li = el("li");
  li.dataset.seq = event.seq;
  li.append(el("time", when(event.at)), " ", el("strong", event.type));
  const data = Object.entries(event.data || {}).map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`);
  if (data.length) li.append(" ", el("span", data.join(", ")));
  $("job-events").append(li);
  if (event.type === "log") {
    const line = el("li");
    line.append(el("time", when(event.at)), " ", el("span", event.data.message));
    $("job-log").append(line);
  }
  const attempt = event.data && event.data.attempt;
  if (attempt) {
    const row = state.attempts.get(attempt) || { attempt };
    if (event.type === "started") {
      row.worker = event.data.worker;
      row.started = event.at;
    } else if (!["progress", "log"].includes(event.type)) {
      row.ended = event.at;
      row.how = event.type;
      row.error = event.data.error;
    }
    state.attempts.set(attempt, row);
  }
}

function drawAttempts() {
  const body = $("job-attempts").tBodies[0];
  body.replaceChildren();
  for (const a of [...state.attempts.values()].sort((x, y) => x.attempt - y.attempt)) {
    const tr = el("tr");
    tr.append(el("td", a.attempt), el("td", a.worker ?? ""), el("td", when(a.started)),
      el("td", when(a.ended)), el("td", a.how ?? "running"), el("td", a.error ?? ""));
    body.append(tr);
  }
}

function onJobPageEvent(event) {
  if (state.view !== "job" || event.job_id !== state.jobId) return;
  if (event.type === "deleted") {
    $("job-status").textContent = "this job was deleted";
    return;
  }
  if ([...$("job-events").children].some((li) => Number(li.dataset.seq) >= event.seq)) return;
  addJobEvent(event);
  drawAttempts();
  if (event.job) drawJobState(event.job);
  if (["succeeded", "failed", "requeued", "cancelled"].includes(event.type)) openJob(state.jobId);
}

async function jobAction(action) {
  try {
    await api(`api/jobs/${state.jobId}/${action}`, { method: "POST" });
    $("job-status").textContent = `${action}: done`;
    if (action === "delete") location.hash = "#/jobs";
  } catch (problem) {
    show(problem);
  }
}

// -- live ------------------------------------------------------------------------------

// The browser reconnects by itself and sends Last-Event-ID: nothing is missed.
function connect() {
  const source = new EventSource(`api/events?after=${state.lastSeq}`);
  state.source = source;
  source.addEventListener("open", () => {
    $("live").textContent = "live";
    $("live").classList.add("on");
  });
  source.addEventListener("error", () => {
    $("live").textContent = "reconnecting…";
    $("live").classList.remove("on");
  });
  source.addEventListener("job", (message) => {
    const event = JSON.parse(message.data);
    state.lastSeq = Math.max(state.lastSeq, event.seq);
    document.body.dataset.seq = state.lastSeq;
    onJobEvent(event);
    onJobPageEvent(event);
    if (state.view === "queues" || state.view === "workers") soon();
  });
}

function start() {
  for (const status of STATUSES) {
    const label = el("label");
    const box = el("input");
    box.type = "checkbox";
    box.value = status;
    label.append(box, ` ${status}`);
    $("statuses").append(label);
  }
  $("filters").addEventListener("submit", (event) => {
    event.preventDefault();
    location.hash = `#/jobs?${formToFilters()}`;
  });
  $("next-page").addEventListener("click", () => {
    state.pages.push(state.position);
    state.position = state.next;
    loadPage();
  });
  $("prev-page").addEventListener("click", () => {
    state.position = state.pages.pop() ?? null;
    loadPage();
  });
  $("first-page").addEventListener("click", () => {
    state.pages = [];
    state.position = null;
    loadPage();
  });
  $("jobs").addEventListener("keydown", tableKeys);
  for (const button of $("bulk").querySelectorAll("button[data-bulk]")) {
    button.addEventListener("click", () => askBulk(button.dataset.bulk));
  }
  $("bulk-yes").addEventListener("click", doBulk);
  $("bulk-no").addEventListener("click", () => { $("bulk-confirm").hidden = true; });
  for (const button of $("job-actions").querySelectorAll("button[data-action]")) {
    button.addEventListener("click", () => jobAction(button.dataset.action));
  }
  window.addEventListener("hashchange", route);
  // Workers come and go without events: the overview is read again now and then.
  setInterval(() => {
    if (state.view === "queues" || state.view === "workers") loadState();
  }, 5000);
  loadState().then(route);
}

start();
