/* logsieve dashboard. Plain ES2020, no build step, no dependencies: everything it shows comes
   from the service's JSON API (see notes/service_api.md). Log text is data: it only ever goes
   into the page through textContent, never as HTML. */
"use strict";

(() => {
  const REFRESH_MS = 10000;
  const FETCH_TIMEOUT_MS = 8000;
  const PAGE = 100;
  const SOURCES = ["", "small", "cache", "llm", "fallback", "novelty"];
  const SOURCE_NAME = { small: "Small model", cache: "Cache", llm: "LLM", fallback: "Fallback", novelty: "Novelty" };
  const SOURCE_WHY = {
    small: "The small model was confident, so no LLM was asked.",
    cache: "Answered from the knowledge cache: the LLM judged a sequence of the same pattern before.",
    llm: "The small model was unsure; the LLM judged this sequence.",
    fallback: "The LLM was asked but failed; the small model's verdict stands.",
    novelty: "No model yet (warm-up): a sequence with a template never seen before is abnormal, the rest normal.",
  };

  // ---------------------------------------------------------------- state
  const state = {
    view: "anomalies",
    range: "3600", // seconds as a string, or "all"
    custom: null, // {since, until} from a zoom on the timeline
    status: "abnormal",
    source: "",
    q: "",
    openId: null,
    selectedId: null,
    paused: false,
    citedOnly: false,
    items: [],
    total: 0,
    seenIds: null,
    timeline: null, // {bucket_s, buckets, from, to}
    templates: [],
    templatesTotal: 0,
    tq: "",
    tplSort: { key: "first_seen", asc: false },
    models: null,
    health: null,
    errors: new Map(), // endpoint -> message
    lastOk: null,
    detail: null,
  };
  let refreshTimer = null;
  let inflight = null;
  let again = false;
  let listSeq = 0;
  let detailSeq = 0;

  // ---------------------------------------------------------------- helpers
  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

  /** Build an element: h("td", {class: "x", title: "y"}, child, "text", ...). Text is text. */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") el.className = v;
      else if (k === "dataset") Object.assign(el.dataset, v);
      else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else if (k === "style") el.setAttribute("style", v);
      else el.setAttribute(k, v === true ? "" : v);
    }
    append(el, children);
    return el;
  }
  /** replaceChildren that skips null/false (the DOM one would print "null"). */
  function kids(el, ...children) {
    el.replaceChildren();
    return append(el, children);
  }
  function append(el, children) {
    for (const c of children.flat(Infinity)) {
      if (c === null || c === undefined || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }
  const SVGNS = "http://www.w3.org/2000/svg";
  function s(tag, attrs, ...children) {
    const el = document.createElementNS(SVGNS, tag);
    for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) el.setAttribute(k, v);
    for (const c of children.flat(Infinity)) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return el;
  }

  const nowS = () => Date.now() / 1000;
  const pad = (n) => String(n).padStart(2, "0");
  const nf = new Intl.NumberFormat();
  const fmtN = (n) => (n === null || n === undefined ? "—" : nf.format(n));
  function fmtRate(x) {
    if (!isFinite(x)) return "—";
    if (x === 0) return "0";
    return x >= 10 ? fmtN(Math.round(x)) : x >= 1 ? x.toFixed(1) : x.toFixed(2);
  }
  function fmtPct(x, digits = 1) {
    if (x === null || x === undefined || !isFinite(x)) return "—";
    return (x * 100).toFixed(digits) + "%";
  }
  /** Registry versions are integers (1, 2, ...): shown as v1, v2; any other label as is. */
  function fmtVersion(v) {
    if (v === null || v === undefined || v === "") return "—";
    return typeof v === "number" || /^\d+$/.test(String(v)) ? "v" + v : String(v);
  }
  function fmtScore(x) {
    if (x === null || x === undefined || !isFinite(x)) return "—";
    const a = Math.abs(x);
    return a >= 1000 ? nf.format(Math.round(x)) : a >= 10 ? Number(x).toFixed(1) : Number(x).toFixed(3);
  }
  function fmtClock(t, withSeconds = true) {
    if (t === null || t === undefined) return "—";
    const d = new Date(t * 1000);
    return pad(d.getHours()) + ":" + pad(d.getMinutes()) + (withSeconds ? ":" + pad(d.getSeconds()) : "");
  }
  function fmtDate(t) {
    const d = new Date(t * 1000);
    const year = d.getFullYear() !== new Date().getFullYear() ? { year: "numeric" } : {};
    return d.toLocaleDateString(undefined, { month: "short", day: "numeric", ...year });
  }
  function fmtDateTime(t) {
    if (t === null || t === undefined) return "—";
    const d = new Date(t * 1000);
    const today = new Date();
    const sameDay = d.toDateString() === today.toDateString();
    return (sameDay ? "" : fmtDate(t) + " ") + fmtClock(t);
  }
  function fmtDur(sec) {
    if (sec === null || sec === undefined || !isFinite(sec)) return "—";
    sec = Math.max(0, sec);
    if (sec < 1) return Math.round(sec * 1000) + " ms";
    if (sec < 60) return Math.round(sec) + " s";
    if (sec < 3600) return Math.round(sec / 60) + " min";
    if (sec < 86400) return (sec / 3600).toFixed(sec < 36000 ? 1 : 0) + " h";
    return (sec / 86400).toFixed(1) + " d";
  }
  function fmtAgo(t) {
    if (t === null || t === undefined) return "—";
    const d = nowS() - t;
    if (d < 0) return fmtClock(t);
    if (d < 45) return Math.max(0, Math.round(d)) + "s ago";
    if (d < 3600) return Math.round(d / 60) + "m ago";
    if (d < 86400) return Math.round(d / 3600) + "h ago";
    return Math.round(d / 86400) + "d ago";
  }

  // ---------------------------------------------------------------- API
  class ApiError extends Error {
    constructor(path, status, detail) {
      super(status ? `HTTP ${status}${detail ? ": " + detail : ""}` : detail);
      this.path = path;
      this.status = status;
    }
  }

  async function api(path, params) {
    const url = new URL(path, location.origin);
    for (const [k, v] of Object.entries(params || {})) {
      if (v !== null && v !== undefined && v !== "") url.searchParams.set(k, v);
    }
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), FETCH_TIMEOUT_MS);
    let res;
    try {
      res = await fetch(url, { signal: ctl.signal, headers: { Accept: "application/json" } });
    } catch (e) {
      throw new ApiError(path, 0, e.name === "AbortError" ? `no answer in ${FETCH_TIMEOUT_MS / 1000} s` : "the service cannot be reached");
    } finally {
      clearTimeout(timer);
    }
    let body = null;
    try {
      body = await res.json();
    } catch (e) {
      if (res.ok) throw new ApiError(path, res.status, "the answer is not JSON");
    }
    if (!res.ok) {
      let detail = body && body.detail;
      if (detail && typeof detail !== "string") detail = JSON.stringify(detail);
      throw new ApiError(path, res.status, detail || res.statusText);
    }
    return body;
  }

  /** Run one loader; remember its error (for the banner) instead of throwing. */
  async function guarded(name, fn) {
    try {
      const r = await fn();
      state.errors.delete(name);
      return r;
    } catch (e) {
      state.errors.set(name, e.message || String(e));
      return undefined;
    }
  }

  // ---------------------------------------------------------------- time range
  function rangeWindow() {
    if (state.custom) return { since: state.custom.since, until: state.custom.until };
    if (state.range === "all") return { since: null, until: null };
    const now = nowS();
    return { since: now - Number(state.range), until: null };
  }
  const STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800];
  function niceStep(raw) {
    for (const st of STEPS) if (st >= raw) return st;
    return Math.ceil(raw / 86400) * 86400;
  }

  // ---------------------------------------------------------------- URL hash (shareable state)
  function writeHash() {
    const p = new URLSearchParams();
    if (state.view !== "anomalies") p.set("view", state.view);
    if (state.custom) {
      p.set("since", state.custom.since.toFixed(0));
      p.set("until", state.custom.until.toFixed(0));
    } else if (state.range !== "3600") p.set("range", state.range);
    if (state.status !== "abnormal") p.set("status", state.status);
    if (state.source) p.set("source", state.source);
    if (state.q) p.set("q", state.q);
    if (state.openId !== null) p.set("id", state.openId);
    const str = p.toString();
    history.replaceState(null, "", str ? "#" + str : location.pathname + location.search);
  }
  function readHash() {
    const p = new URLSearchParams(location.hash.slice(1));
    const view = p.get("view");
    if (["anomalies", "templates", "cost"].includes(view)) state.view = view;
    const range = p.get("range");
    if (range && (range === "all" || /^\d+$/.test(range))) state.range = range;
    const since = Number(p.get("since")), until = Number(p.get("until"));
    if (since && until && until > since) state.custom = { since, until };
    const st = p.get("status");
    if (["abnormal", "normal", "all"].includes(st)) state.status = st;
    const src = p.get("source");
    if (SOURCES.includes(src)) state.source = src;
    state.q = p.get("q") || "";
    const id = p.get("id");
    if (id && /^\d+$/.test(id)) state.openId = state.selectedId = Number(id);
  }

  // ---------------------------------------------------------------- top bar
  function renderHealth() {
    const box = $("#health");
    kids(box);
    const hl = state.health;
    if (!hl) {
      box.append(h("span", { class: "hitem bad" }, h("span", { class: "dot bad" }), h("b", null, "service unreachable")));
      return;
    }
    const ok = hl.status === "ok";
    const item = (title, ...c) => h("span", { class: "hitem", title }, ...c);
    append(box, [
      item("Service status and version", h("span", { class: "dot " + (ok ? "ok" : "bad") }), h("b", null, hl.status), hl.version ? h("span", { class: "muted" }, " v" + hl.version) : null),
      item("Uptime", h("span", { class: "muted" }, "up "), h("b", null, fmtDur(hl.uptime_s))),
      item("Log lines received", h("b", null, fmtN(hl.lines_in)), h("span", { class: "muted" }, " lines")),
      item("Sequences judged", h("b", null, fmtN(hl.sequences)), h("span", { class: "muted" }, " seq")),
      item("Anomalies found", h("b", { class: "danger" }, fmtN(hl.anomalies)), h("span", { class: "muted" }, " anomalies")),
      hl.model ? item("The small model serving", h("span", { class: "muted" }, "model "), h("b", null, hl.model), hl.model_version !== undefined && hl.model_version !== null ? h("span", { class: "muted" }, " " + fmtVersion(hl.model_version)) : null) : null,
      item("LLM backend", h("span", { class: "muted" }, "LLM "), h("b", null, hl.llm || "none")),
      hl.warmup && hl.phase !== "live" ? item(hl.warmup.note || "No model yet: judging with the never-seen-template rule while it warms up, then it learns one and swaps it in", h("span", { class: "muted" }, hl.phase + " "), h("b", null, fmtN(hl.warmup.lines_seen)), h("span", { class: "muted" }, hl.warmup.lines_needed ? " / " + fmtN(hl.warmup.lines_needed) + " lines" : " lines")) : null,
      // beyond the contract, shown when the service reports them
      typeof hl.backlog === "number" ? item("Lines accepted but not yet parsed", h("b", { class: hl.backlog > 10000 ? "danger" : null }, fmtN(hl.backlog)), h("span", { class: "muted" }, " backlog")) : null,
      typeof hl.open_sequences === "number" ? item("Sequences still open (not judged yet)", h("b", null, fmtN(hl.open_sequences)), h("span", { class: "muted" }, " open")) : null,
      Array.isArray(hl.errors) && hl.errors.length ? item(hl.errors.join("\n"), h("b", { class: "danger" }, `${hl.errors.length} error${hl.errors.length > 1 ? "s" : ""}`)) : null,
    ]);
  }

  function renderBanner() {
    const b = $("#banner");
    if (!state.errors.size) {
      b.hidden = true;
      return;
    }
    const [first, msg] = state.errors.entries().next().value;
    const more = state.errors.size > 1 ? ` (+${state.errors.size - 1} more)` : "";
    const since = state.lastOk ? ` Showing data from ${fmtClock(state.lastOk)}.` : "";
    const retry = state.paused ? " Auto-refresh is paused: press r to retry." : ` Retrying every ${REFRESH_MS / 1000} s.`;
    b.replaceChildren(h("b", null, `Cannot load ${first}`), h("span", null, `${msg}${more}.`), h("span", { class: "muted" }, since + retry));
    b.hidden = false;
  }

  function renderUpdated() {
    const u = $("#updated");
    u.textContent = state.lastOk ? fmtAgo(state.lastOk).replace(/^0s ago$/, "just now") : "—";
    u.title = state.lastOk ? "Last refresh " + fmtDateTime(state.lastOk) : "Not loaded yet";
  }

  function renderControls() {
    for (const b of $$("#range button")) b.setAttribute("aria-checked", String(!state.custom && b.dataset.range === state.range));
    for (const b of $$("#range button")) b.setAttribute("role", "radio");
    const cr = $("#custom-range");
    cr.hidden = !state.custom;
    if (state.custom) $("#custom-range-text").textContent = `${fmtDateTime(state.custom.since)} – ${fmtClock(state.custom.until)}`;
    for (const b of $$("#status button")) {
      b.setAttribute("role", "radio");
      b.setAttribute("aria-checked", String(b.dataset.status === state.status));
    }
    for (const b of $$("#source button")) {
      b.setAttribute("role", "radio");
      b.setAttribute("aria-checked", String(b.dataset.source === state.source));
      let facet = $(".facet", b);
      if (!facet) b.append((facet = h("span", { class: "facet" })));
      const n = state.facets ? state.facets[b.dataset.source] : undefined;
      facet.textContent = n === undefined || n === null ? "" : fmtN(n);
      facet.hidden = n === undefined || n === null;
    }
    const pause = $("#pause");
    pause.setAttribute("aria-pressed", String(state.paused));
    $(".dot", pause).className = "dot " + (state.paused ? "paused" : "live");
    $(".label", pause).textContent = state.paused ? "Paused" : "Live";
    for (const t of $$(".tabs button")) t.setAttribute("aria-selected", String(t.dataset.view === state.view));
    for (const v of ["anomalies", "templates", "cost"]) $("#view-" + v).hidden = v !== state.view;
    if ($("#q").value !== state.q) $("#q").value = state.q;
  }

  // ---------------------------------------------------------------- charts
  const tooltip = {
    show(ev, title, rows) {
      const t = $("#tooltip");
      t.replaceChildren(h("div", { class: "tt-time" }, title), ...rows.map(([label, value, cls]) =>
        h("div", { class: "tt-row" }, h("span", null, cls ? h("i", { class: "sw " + cls }) : null, label), h("span", null, value))));
      t.hidden = false;
      const pad = 14, w = t.offsetWidth, hgt = t.offsetHeight;
      let x = ev.clientX + pad, y = ev.clientY + pad;
      if (x + w > innerWidth - 8) x = ev.clientX - w - pad;
      if (y + hgt > innerHeight - 8) y = ev.clientY - hgt - pad;
      t.style.left = x + "px";
      t.style.top = y + "px";
    },
    hide() { $("#tooltip").hidden = true; },
  };

  /** A round axis maximum and how many grid steps divide it evenly (integers for counts). */
  function niceAxis(v, integer) {
    if (!(v > 0)) return { max: 1, ticks: integer ? 1 : 4 };
    if (integer && v <= 5) return { max: Math.ceil(v), ticks: Math.ceil(v) };
    const e = Math.pow(10, Math.floor(Math.log10(v)));
    for (const [m, ticks] of [[1, 5], [2, 4], [2.5, 5], [4, 4], [5, 5], [10, 5]]) {
      if (integer && !Number.isInteger((m * e) / ticks)) continue;
      if (m * e >= v) return { max: m * e, ticks };
    }
    return { max: 10 * e, ticks: 5 };
  }

  function timeTicks(from, to, widthPx) {
    const span = to - from;
    const want = Math.max(2, Math.floor(widthPx / 95));
    const step = niceStep(span / want);
    const tz = -new Date().getTimezoneOffset() * 60;
    const ticks = [];
    for (let t = Math.ceil((from + tz) / step) * step - tz; t <= to; t += step) ticks.push(t);
    const fmt = step >= 86400 ? fmtDate : step < 60 ? (t) => fmtClock(t, true) : (t) => fmtClock(t, false);
    const dayChange = span > 86400 && step < 86400;
    return ticks.map((t) => ({ t, label: dayChange && new Date(t * 1000).getHours() === 0 && new Date(t * 1000).getMinutes() === 0 ? fmtDate(t) : fmt(t) }));
  }

  /**
   * One time-series chart in `el`: bars (overlaid, drawn in order) on the left axis and lines on
   * the left axis (when there are no bars) or the right one. Buckets must be dense and sorted.
   */
  function drawChart(el, opt) {
    el.replaceChildren();
    const W = Math.max(240, el.clientWidth - 8), H = Math.max(100, el.clientHeight - 6);
    const padL = 38, padR = opt.lines && opt.bars && opt.lines.length ? 40 : 10, padT = 10, padB = 20;
    const iw = W - padL - padR, ih = H - padT - padB;
    const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: "none", role: "img", "aria-label": opt.label || "chart" });
    el.append(svg);
    const { from, to, step, buckets } = opt;
    if (!buckets.length || !(to > from)) {
      el.append(h("div", { class: "chart-empty" }, opt.empty || "No data in this range"));
      return;
    }
    const x = (t) => padL + ((t - from) / (to - from)) * iw;
    const tOf = (px) => from + ((px - padL) / iw) * (to - from);
    const bars = opt.bars || [];
    const lines = opt.lines || [];
    const lAxis = niceAxis(bars.length
      ? Math.max(...buckets.flatMap((b) => bars.map((s_) => b[s_.key] || 0)))
      : Math.min(opt.leftCap || Infinity, Math.max(...buckets.flatMap((b) => lines.map((l) => l.value(b) || 0))) * (opt.leftPad || 1.1)), bars.length > 0);
    const rAxis = bars.length && lines.length ? niceAxis(Math.max(...buckets.flatMap((b) => lines.map((l) => l.value(b) || 0))), true) : lAxis;
    const leftMax = lAxis.max, rightMax = rAxis.max;
    const yL = (v) => padT + ih - (v / leftMax) * ih;
    const yR = (v) => padT + ih - (v / rightMax) * ih;
    const fmtL = opt.leftFormat || ((v) => fmtN(Math.round(v * 100) / 100));
    const fmtR = opt.rightFormat || fmtL;

    const axis = s("g", { class: "axis" });
    for (let i = 0; i <= lAxis.ticks; i++) {
      const v = (leftMax / lAxis.ticks) * i, yy = yL(v);
      axis.append(s("line", { class: "gridline", x1: padL, x2: padL + iw, y1: yy, y2: yy }));
      axis.append(s("text", { x: padL - 6, y: yy + 3.5, "text-anchor": "end" }, fmtL(v)));
    }
    if (bars.length && lines.length) {
      for (let i = 0; i <= rAxis.ticks; i++) {
        const v = (rightMax / rAxis.ticks) * i;
        axis.append(s("text", { x: padL + iw + 6, y: yR(v) + 3.5 }, fmtR(v)));
      }
    }
    for (const tk of timeTicks(from, to, iw)) {
      axis.append(s("text", { x: x(tk.t), y: H - 5, "text-anchor": "middle" }, tk.label));
    }
    svg.append(axis);

    const bw = Math.max(1, (step / (to - from)) * iw);
    const gap = bw > 6 ? Math.min(2, bw * 0.2) : bw > 2.5 ? 0.6 : 0;
    for (const ser of bars) {
      const g = s("g", null);
      for (const b of buckets) {
        const v = b[ser.key] || 0;
        if (!v) continue;
        const yy = yL(v);
        g.append(s("rect", { class: ser.cls, x: x(b.t) + gap / 2, y: yy, width: Math.max(0.8, bw - gap), height: Math.max(1, padT + ih - yy), rx: bw > 5 ? 1.5 : 0 }));
      }
      svg.append(g);
    }
    for (const ln of lines) {
      const yy = bars.length ? yR : yL;
      let d = "", area = "", open = false, firstX = 0, lastX = 0;
      const pts = s("g", null);
      for (const b of buckets) {
        const v = ln.value(b);
        const cx = x(b.t + step / 2);
        if (v === null || v === undefined || !isFinite(v)) { open = false; continue; }
        d += (open ? "L" : "M") + cx.toFixed(1) + "," + yy(v).toFixed(1);
        if (!open) firstX = cx;
        lastX = cx;
        open = true;
        if (buckets.length <= 60 && ln.points !== false) pts.append(s("circle", { class: "pt " + ln.cls, cx, cy: yy(v), r: 2.6 }));
      }
      if (ln.area && d) { area = d + `L${lastX},${padT + ih}L${firstX},${padT + ih}Z`; svg.append(s("path", { class: "area " + ln.cls, d: area })); }
      svg.append(s("path", { class: "line " + ln.cls, d }));
      svg.append(pts);
    }
    for (const m of opt.marks || []) {
      if (m.t < from || m.t > to) continue;
      svg.append(s("line", { class: "model-mark", x1: x(m.t), x2: x(m.t), y1: padT - 4, y2: padT + ih }));
      svg.append(s("text", { class: "model-label", x: x(m.t) + 4, y: padT + 6 }, m.label));
    }
    if (opt.cursor !== null && opt.cursor !== undefined && opt.cursor >= from && opt.cursor <= to) {
      svg.append(s("line", { class: "cursor", x1: x(opt.cursor), x2: x(opt.cursor), y1: padT - 4, y2: padT + ih }));
    }

    const nothing = buckets.every((b) => bars.every((sr) => !b[sr.key]) && lines.every((l) => !l.value(b)));
    if (nothing) el.append(h("div", { class: "chart-empty" }, opt.empty || "No data in this range"));

    // interaction: hover tooltip per bucket, click a bucket, drag to zoom
    const hits = s("g", null);
    for (const b of buckets) {
      const r = s("rect", { class: "hit", x: x(b.t), y: padT, width: bw, height: ih, "data-t": b.t });
      r.addEventListener("mousemove", (ev) => tooltip.show(ev, `${fmtDateTime(b.t)} – ${fmtClock(b.t + step)}`, opt.tooltip(b)));
      r.addEventListener("mouseleave", () => tooltip.hide());
      hits.append(r);
    }
    svg.append(hits);
    if (!opt.onZoom) return;
    let drag = null;
    const brush = s("rect", { class: "brush", y: padT, height: ih, width: 0, visibility: "hidden" });
    svg.append(brush);
    const px = (ev) => {
      const r = svg.getBoundingClientRect();
      return Math.min(padL + iw, Math.max(padL, ((ev.clientX - r.left) / r.width) * W));
    };
    svg.addEventListener("mousedown", (ev) => {
      if (ev.button !== 0) return;
      drag = { x0: px(ev) };
      ev.preventDefault();
    });
    const move = (ev) => {
      if (!drag) return;
      const x1 = px(ev);
      brush.setAttribute("x", Math.min(drag.x0, x1));
      brush.setAttribute("width", Math.abs(x1 - drag.x0));
      brush.setAttribute("visibility", Math.abs(x1 - drag.x0) > 3 ? "visible" : "hidden");
    };
    const up = (ev) => {
      if (!drag) return;
      const x0 = drag.x0, x1 = px(ev);
      drag = null;
      window.removeEventListener("mousemove", move);
      window.removeEventListener("mouseup", up);
      tooltip.hide();
      if (Math.abs(x1 - x0) > 4) opt.onZoom(tOf(Math.min(x0, x1)), tOf(Math.max(x0, x1)));
      else {
        const t = tOf(x1);
        const b = buckets.find((bb) => t >= bb.t && t < bb.t + step);
        if (b) opt.onZoom(b.t, b.t + step);
      }
    };
    svg.addEventListener("mousedown", () => {
      window.addEventListener("mousemove", move);
      window.addEventListener("mouseup", up);
    });
  }

  /** Re-bucket the server's buckets to at most `maxBars` evenly spaced, gap-free buckets. */
  function densify(tl, from, to, maxBars) {
    const base = tl.bucket_s || 60;
    let step = base;
    for (const st of STEPS.concat([1209600, 2592000])) {
      if (st >= base && st % base === 0 && (to - from) / st <= maxBars) { step = st; break; }
      step = st;
    }
    if ((to - from) / step > maxBars * 1.5) step = Math.ceil((to - from) / maxBars / base) * base;
    const start = Math.floor(from / step) * step;
    const n = Math.max(1, Math.ceil((to - start) / step));
    const out = [];
    for (let i = 0; i < n; i++) out.push({ t: start + i * step, sequences: 0, anomalies: 0, llm_calls: 0, cache_hits: 0, new_templates: 0 });
    for (const b of tl.buckets || []) {
      const i = Math.floor((b.t - start) / step);
      if (i < 0 || i >= n) continue;
      for (const k of ["sequences", "anomalies", "llm_calls", "cache_hits", "new_templates"]) out[i][k] += b[k] || 0;
    }
    return { step, buckets: out, from: start, to: start + n * step };
  }

  // ---------------------------------------------------------------- loaders
  async function loadHealth() {
    const r = await guarded("/health", () => api("/health"));
    state.health = r === undefined ? null : r;
    renderHealth();
  }

  /** The timeline for the current range. "All" asks coarse first, then finer if the data is short. */
  async function loadTimeline() {
    const w = rangeWindow();
    let tl, from, to;
    if (w.since === null) {
      for (const bucket of [3600, 60, 1]) {
        // finer buckets only while the service's 20,000-bucket cap (counted from `since` to now) allows
        if (from !== undefined && (nowS() - from) / bucket > 15000) break;
        tl = await api("/stats/timeline", { bucket_s: bucket, since: from === undefined ? null : Math.floor(from) });
        const bs = tl.buckets || [];
        if (!bs.length) break;
        from = bs[0].t;
        to = bs[bs.length - 1].t + tl.bucket_s;
        if ((to - from) / tl.bucket_s >= 24) break;
      }
      if (!tl.buckets || !tl.buckets.length) {
        to = nowS();
        from = to - 3600;
      } else if (nowS() - to < (to - from) * 0.15) to = nowS();
    } else {
      from = w.since;
      to = w.until === null ? nowS() : w.until;
      const bucket = niceStep((to - from) / 90);
      tl = await api("/stats/timeline", { bucket_s: bucket, since: Math.floor(from) });
      tl.buckets = (tl.buckets || []).filter((b) => b.t + tl.bucket_s > from && b.t < to);
    }
    const dense = densify(tl, from, to, 96);
    state.timeline = { ...dense, raw: tl, viewFrom: from, viewTo: to };
  }

  async function loadAnomalies(append = false) {
    const mySeq = ++listSeq;
    const w = rangeWindow();
    const params = {
      status: state.status, source: state.source || null, q: state.q || null, limit: PAGE,
      offset: append ? state.items.length : 0,
      since: w.since === null ? null : w.since.toFixed(3), until: w.until === null ? null : w.until.toFixed(3),
    };
    // the list, and beside it how many each source decided under the same filters (facet counts)
    const facets = append ? Promise.resolve(null) : Promise.all(SOURCES.map((src) =>
      src === state.source ? null : api("/anomalies", { ...params, source: src || null, limit: 1, offset: 0 }).then((x) => x.total)));
    const [r, counts] = await Promise.all([api("/anomalies", params), facets]);
    if (mySeq !== listSeq) return false; // a newer filter won
    if (counts) {
      state.facets = Object.fromEntries(SOURCES.map((src, i) => [src, src === state.source ? r.total : counts[i]]));
    }
    const items = r.items || [];
    if (append) state.items = state.items.concat(items);
    else {
      const prev = state.seenIds;
      state.items = items;
      state.fresh = prev ? new Set(items.filter((i) => !prev.has(i.id)).map((i) => i.id)) : new Set();
    }
    state.seenIds = new Set((state.seenIds ? [...state.seenIds] : []).concat(state.items.map((i) => i.id)));
    state.total = r.total ?? state.items.length;
    return true;
  }

  async function loadTemplates(append = false) {
    const r = await api("/templates", { limit: 500, offset: append ? state.templates.length : 0 });
    state.templates = append ? state.templates.concat(r.items || []) : r.items || [];
    state.templatesTotal = r.total ?? state.templates.length;
  }

  async function loadModels() {
    const r = await api("/models");
    state.models = r.items || [];
  }

  // ---------------------------------------------------------------- anomalies view
  function renderTimeline() {
    const el = $("#timeline-chart");
    const tl = state.timeline;
    if (!tl) {
      el.replaceChildren(h("div", { class: "chart-empty" }, state.errors.has("/stats/timeline") ? "The timeline could not be loaded" : "Loading…"));
      return;
    }
    const seqs = tl.buckets.reduce((a, b) => a + b.sequences, 0), anom = tl.buckets.reduce((a, b) => a + b.anomalies, 0);
    $("#timeline-meta").textContent = `${fmtN(anom)} anomalies in ${fmtN(seqs)} sequences · ${fmtDur(tl.step)} buckets`;
    const open = state.detail && state.detail.id === state.openId ? state.detail.created_at : null;
    drawChart(el, {
      label: "Sequences and anomalies over time", from: tl.from, to: tl.to, step: tl.step, buckets: tl.buckets,
      bars: [{ key: "sequences", cls: "bar-seq" }, { key: "anomalies", cls: "bar-anom" }],
      empty: "No sequences judged in this range yet",
      cursor: open,
      tooltip: (b) => [["sequences", fmtN(b.sequences), "seq"], ["anomalies", fmtN(b.anomalies), "anom"], ["LLM calls", fmtN(b.llm_calls)], ["cache hits", fmtN(b.cache_hits)], ["new templates", fmtN(b.new_templates)]],
      onZoom: (a, b) => setCustom(a, b),
    });
  }

  function srcBadge(src) {
    return h("span", { class: "src " + (src || "small") }, SOURCE_NAME[src] || src || "?");
  }
  function statusPill(st) {
    return h("span", { class: "status " + st }, st);
  }
  /** A small bar for values in [0, 1]; detector scores outside it (PCA residuals) get none. */
  function meter(v, cls) {
    if (v === null || v === undefined || !(v >= 0 && v <= 1)) return null;
    const pct = Math.max(0, Math.min(1, Number(v) || 0)) * 100;
    return h("span", { class: "meter " + (cls || "") }, h("i", { style: `width:${pct.toFixed(0)}%` }));
  }

  function renderList() {
    const tbody = $("#anomaly-rows");
    const rows = state.items.map((it) => {
      const tr = h("tr", {
        "data-id": it.id, class: [it.id === state.selectedId ? "selected" : "", state.fresh && state.fresh.has(it.id) ? "fresh" : ""].join(" ").trim() || null,
        "aria-selected": String(it.id === state.selectedId), tabindex: "-1",
        onclick: () => openAnomaly(it.id),
      },
      h("td", { class: "c-when", title: `${it.status}, judged ${fmtDateTime(it.created_at)}${it.start ? "\nlog time " + fmtDateTime(it.start) : ""}` },
        h("span", { class: "sdot " + it.status, role: "img", "aria-label": it.status }), fmtAgo(it.created_at)),
      h("td", { class: "c-src" }, srcBadge(it.source)),
      h("td", { class: "c-score", title: `score ${fmtScore(it.score)} · confidence ${fmtScore(it.confidence)}` }, h("span", { class: "score" }, meter(it.score), fmtScore(it.score))),
      h("td", { class: "c-key", title: it.key }, it.key),
      h("td", { class: "c-expl", title: it.explanation || "" }, it.explanation ? it.explanation : h("span", { class: "none" }, it.source === "small" ? "small model, no explanation" : "—")),
      h("td", { class: "c-n" }, fmtN(it.n_lines)));
      return tr;
    });
    tbody.replaceChildren(...rows);
    const st = $("#list-state");
    st.className = "list-state";
    if (state.errors.has("/anomalies") && !state.items.length) {
      st.classList.add("error");
      st.replaceChildren(h("b", null, "The anomaly list could not be loaded"), state.errors.get("/anomalies"));
    } else if (!state.items.length && state.loadedList) {
      const filtered = state.q || state.source || state.status !== "abnormal";
      st.replaceChildren(
        h("b", null, filtered ? "Nothing matches these filters" : "No anomalies in this range"),
        filtered ? "Try another source, status or search, or a wider time range." : "Quiet so far. Widen the time range, or look at all sequences (press n).",
      );
    } else if (!state.loadedList) {
      st.replaceChildren(h("div", { class: "skeleton", style: "width:70%;margin:0 auto 8px" }), h("div", { class: "skeleton", style: "width:50%;margin:0 auto" }));
    } else st.replaceChildren();
    $("#count").textContent = state.loadedList ? `${fmtN(state.items.length)} of ${fmtN(state.total)} ${state.status === "all" ? "sequences" : state.status}` : "";
    $("#pager").hidden = !(state.items.length < state.total);
  }

  async function openAnomaly(id, { focusRow = true } = {}) {
    state.openId = state.selectedId = id;
    writeHash();
    for (const tr of $$("#anomaly-rows tr")) {
      const sel = Number(tr.dataset.id) === id;
      tr.classList.toggle("selected", sel);
      tr.setAttribute("aria-selected", String(sel));
      if (sel && focusRow) tr.scrollIntoView({ block: "nearest" });
    }
    const mySeq = ++detailSeq;
    $("#detail-empty").hidden = true;
    const body = $("#detail-body");
    body.hidden = false;
    if (!state.detail || state.detail.id !== id) body.replaceChildren(h("div", { class: "d-sec" }, h("div", { class: "skeleton", style: "width:60%;margin-bottom:8px" }), h("div", { class: "skeleton", style: "width:85%" })));
    try {
      const v = await api(`/verdicts/${encodeURIComponent(id)}`);
      if (mySeq !== detailSeq) return;
      state.detail = v;
      renderDetail();
      renderTimeline();
      // stacked layout (narrow window): the detail is below the list, bring it into view
      const panel = $("#detail");
      if (panel.getBoundingClientRect().top > innerHeight) panel.scrollIntoView({ block: "start", behavior: "smooth" });
    } catch (e) {
      if (mySeq !== detailSeq) return;
      state.detail = null;
      body.replaceChildren(h("div", { class: "d-sec panel-error" },
        h("b", null, e.status === 404 ? `Verdict #${id} does not exist` : `Verdict #${id} could not be loaded`),
        h("div", null, e.status === 404 ? "It may come from another store. Pick one from the list." : e.message)));
    }
  }

  async function copyLink(ev) {
    const btn = ev.currentTarget;
    try {
      await navigator.clipboard.writeText(location.href);
      btn.textContent = "copied";
    } catch (e) {
      btn.textContent = "copy failed"; // no clipboard permission: the address bar has the same link
    }
    setTimeout(() => (btn.textContent = "link"), 1500);
  }

  function closeDetail() {
    state.openId = null;
    state.detail = null;
    detailSeq++;
    $("#detail-body").hidden = true;
    $("#detail-body").replaceChildren();
    $("#detail-empty").hidden = false;
    writeHash();
    renderTimeline();
  }

  function renderRootCause(rc) {
    if (!rc || typeof rc !== "object") return null;
    const summary = rc.summary || rc.cause || rc.root_cause || rc.title || null;
    const rest = Object.entries(rc).filter(([k, v]) => v !== null && v !== undefined && v !== "" && !["summary", "cause", "root_cause", "title"].includes(k));
    const show = (v) => (Array.isArray(v) ? v.map((x) => (typeof x === "object" ? JSON.stringify(x) : String(x))).join(", ") : typeof v === "object" ? JSON.stringify(v) : typeof v === "number" && v <= 1 && v >= 0 && !Number.isInteger(v) ? fmtScore(v) : String(v));
    return h("div", { class: "d-sec", id: "root-cause" }, h("h3", null, "Root cause"),
      h("div", { class: "rootcause" }, summary ? h("div", { class: "rc-summary" }, String(summary)) : null,
        rest.length ? h("dl", null, rest.map(([k, v]) => [h("dt", null, k.replace(/_/g, " ")), h("dd", null, show(v))])) : null));
  }

  function renderDetail() {
    const v = state.detail;
    const body = $("#detail-body");
    const lines = v.lines || [];
    const cited = lines.filter((l) => l.cited).length;
    const sources = new Set(lines.map((l) => l.source));
    const origin = [SOURCE_WHY[v.source] || "", v.backend ? ` Backend ${v.backend}.` : "", v.prompt ? ` Prompt ${v.prompt}.` : ""].join("");
    const linesBox = h("div", { class: "lines" + (state.citedOnly && cited ? " cited-only" : ""), id: "lines" },
      lines.length ? lines.map((l) => h("div", { class: "line" + (l.cited ? " cited" : ""), "data-line": l.line, title: l.cited ? "cited by the verdict" : null },
        h("span", { class: "edge" }), h("span", { class: "ln" }, l.line), h("span", { class: "tid", title: "template id" }, "T" + l.template_id),
        h("span", { class: "txt" }, sources.size > 1 ? h("span", { class: "src-file" }, l.source + " ") : null, l.text)))
        : h("div", { class: "list-state" }, "The lines of this sequence are not kept in the store."));
    const citedToggle = h("label", { class: "toggle", title: "Show cited lines only (c)" },
      h("input", { type: "checkbox", id: "cited-only", checked: state.citedOnly, disabled: !cited, onchange: (e) => { state.citedOnly = e.target.checked; linesBox.classList.toggle("cited-only", state.citedOnly && cited > 0); } }),
      "cited only");
    kids(body,
      h("div", { class: "d-head" },
        h("div", { class: "d-title" }, statusPill(v.status), h("span", { class: "key" }, v.key), h("span", { class: "id" }, "#" + v.id),
          h("button", { class: "d-copy", title: "Copy a link to this verdict", "aria-label": "Copy link", onclick: copyLink }, "link"),
          h("button", { class: "d-close", title: "Close (Esc)", "aria-label": "Close", onclick: closeDetail }, "×")),
        h("div", { class: "d-origin" }, srcBadge(v.source), h("span", { id: "origin" }, origin))),
      h("div", { class: "d-sec" }, h("h3", null, "Explanation"),
        v.explanation ? h("div", { class: "explanation", id: "explanation" }, v.explanation)
          : h("div", { class: "explanation none", id: "explanation" }, v.source === "small" ? "No explanation: the small model decided alone." : "No explanation was given.")),
      renderRootCause(v.root_cause),
      v.note ? h("div", { class: "d-sec" }, h("h3", null, "Note"), h("div", { class: "note" }, v.note)) : null,
      h("div", { class: "d-sec" }, h("dl", { class: "facts" },
        fact("Score", h("span", { class: "score" }, meter(v.score), fmtScore(v.score))),
        fact("Confidence", h("span", { class: "score" }, meter(v.confidence, "conf"), fmtScore(v.confidence))),
        fact("Model version", fmtVersion(v.model_version), true),
        fact("Detector", v.detector || "—", true),
        fact("Judged", fmtDateTime(v.created_at)),
        fact("Log span", v.start ? `${fmtDateTime(v.start)} · ${fmtDur((v.end || v.start) - v.start)}` : "—", false, true),
        fact("Pattern", v.pattern || "—", true),
        fact("Templates", (v.template_ids || []).length ? [...new Set(v.template_ids)].map((t) => "T" + t).join(" ") : "—", true, true))),
      h("div", { class: "d-sec" },
        h("h3", null, "Lines ", h("span", { class: "muted" }, fmtN(lines.length)), cited ? h("span", { class: "cited-count" }, `${cited} cited`) : null, citedToggle),
        linesBox),
    );
    const first = $(".line.cited", linesBox);
    if (first) linesBox.scrollTop = Math.max(0, first.offsetTop - linesBox.offsetTop - 40);
  }
  function fact(label, value, mono, wide) {
    return h("div", { class: wide ? "wide" : null }, h("dt", null, label), h("dd", { class: mono ? "mono" : null, title: typeof value === "string" ? value : null }, value));
  }

  // ---------------------------------------------------------------- templates view
  function renderTemplatesView() {
    const w = rangeWindow();
    const tl = state.timeline;
    const since = w.since === null ? nowS() - 3600 : w.since;
    const newIn = state.templates.filter((t) => t.first_seen >= since && (w.until === null || t.first_seen <= w.until)).length;
    const newest = state.templates.reduce((m, t) => Math.max(m, t.first_seen || 0), 0);
    const span = tl ? tl.to - tl.from : 0;
    const newTl = tl ? tl.buckets.reduce((a, b) => a + b.new_templates, 0) : 0;
    $("#template-kpis").replaceChildren(
      kpi("Templates known", fmtN(state.templatesTotal), state.templates.length < state.templatesTotal ? `${fmtN(state.templates.length)} loaded` : "parser vocabulary"),
      kpi(w.since === null ? "New in the last hour" : "New in this range", fmtN(newIn), "first seen by the service", "accent-new"),
      kpi("Drift rate", span ? fmtRate(newTl / (span / 3600)) + " / h" : "—", "new templates per hour"),
      kpi("Newest template", newest ? fmtAgo(newest) : "—", newest ? fmtDateTime(newest) : "none yet"),
    );
    if (tl) {
      const known = state.templates.length >= state.templatesTotal;
      let base = known ? state.templates.filter((t) => t.first_seen < tl.from).length : 0;
      const cum = tl.buckets.map((b) => (base += b.new_templates));
      tl.buckets.forEach((b, i) => (b._cum = cum[i]));
      $("#drift-meta").textContent = `${fmtN(newTl)} new in range · ${fmtDur(tl.step)} buckets`;
      drawChart($("#drift-chart"), {
        label: "New templates over time", from: tl.from, to: tl.to, step: tl.step, buckets: tl.buckets,
        bars: [{ key: "new_templates", cls: "bar-new" }],
        lines: [{ value: (b) => b._cum, cls: "total", points: false }],
        empty: "No template activity in this range",
        tooltip: (b) => [["new templates", fmtN(b.new_templates), "new"], [known ? "known (cumulative)" : "new so far", fmtN(b._cum), "line-total"], ["sequences", fmtN(b.sequences)]],
        onZoom: (a, b) => setCustom(a, b),
      });
    } else $("#drift-chart").replaceChildren(h("div", { class: "chart-empty" }, state.errors.has("/stats/timeline") ? "The timeline could not be loaded" : "Loading…"));
    renderTemplateTable(since);
  }

  function kpi(label, value, sub, cls) {
    return h("div", { class: "kpi " + (cls || "") }, h("div", { class: "k-label" }, label), h("div", { class: "k-value" }, value), sub ? h("div", { class: "k-sub" }, sub) : null);
  }

  function templateText(tpl) {
    const parts = String(tpl).split("<*>");
    const out = [];
    parts.forEach((p, i) => {
      if (i) out.push(h("span", { class: "param" }, "<*>"));
      if (p) out.push(p);
    });
    return out;
  }

  function renderTemplateTable(newSince) {
    const q = state.tq.toLowerCase();
    const { key, asc } = state.tplSort;
    const rows = state.templates.filter((t) => !q || String(t.template).toLowerCase().includes(q) || String(t.id) === q);
    rows.sort((a, b) => {
      const va = a[key], vb = b[key];
      const c = typeof va === "string" ? va.localeCompare(vb) : (va ?? 0) - (vb ?? 0);
      return asc ? c : -c;
    });
    const maxCount = Math.max(1, ...rows.map((t) => t.count || 0));
    $("#template-rows").replaceChildren(...rows.map((t) => h("tr", null,
      h("td", { class: "num mono" }, t.id),
      h("td", { class: "tpl" }, t.first_seen >= newSince ? h("span", { class: "badge new" }, "NEW") : null, templateText(t.template)),
      h("td", { class: "num" }, h("span", { class: "countbar" }, h("i", { style: `width:${Math.max(2, (Math.log1p(t.count || 0) / Math.log1p(maxCount)) * 40).toFixed(0)}px` }), fmtN(t.count))),
      h("td", { class: "seen", title: fmtDateTime(t.first_seen) }, t.first_seen ? `${fmtDateTime(t.first_seen)} · ${fmtAgo(t.first_seen)}` : "—"))));
    for (const th of $$("#template-table th[data-sort]")) {
      th.classList.toggle("sorted", th.dataset.sort === key);
      th.classList.toggle("asc", th.dataset.sort === key && asc);
    }
    $("#template-meta").textContent = `${fmtN(rows.length)} shown of ${fmtN(state.templatesTotal)}`;
    const st = $("#template-state");
    st.className = "list-state";
    if (state.errors.has("/templates") && !state.templates.length) {
      st.classList.add("error");
      st.replaceChildren(h("b", null, "Templates could not be loaded"), state.errors.get("/templates"));
    } else if (!state.templates.length) st.replaceChildren(h("b", null, "No templates yet"), "The parser learns templates as lines arrive.");
    else if (!rows.length) st.replaceChildren(h("b", null, "No template matches"), "Clear the filter to see them all.");
    else st.replaceChildren();
    $("#template-pager").hidden = !(state.templates.length < state.templatesTotal);
  }

  // ---------------------------------------------------------------- cost & models view
  const llmRate = (b) => (b.sequences ? b.llm_calls / b.sequences : null);
  const cacheRate = (b) => (b.llm_calls + b.cache_hits ? b.cache_hits / (b.llm_calls + b.cache_hits) : null);

  function renderCostView() {
    const tl = state.timeline;
    const models = state.models || [];
    const hl = state.health;
    const live = models.find((m) => m.status === "live");
    if (tl) {
      const sum = (k) => tl.buckets.reduce((a, b) => a + (b[k] || 0), 0);
      const seq = sum("sequences"), calls = sum("llm_calls"), hits = sum("cache_hits");
      $("#cost-kpis").replaceChildren(
        kpi("LLM-call rate", seq ? fmtPct(calls / seq) : "—", `${fmtN(calls)} calls · ${fmtN(seq)} sequences`, "accent-llm"),
        kpi("Cache-hit rate", calls + hits ? fmtPct(hits / (calls + hits)) : "—", `${fmtN(hits)} hits of ${fmtN(calls + hits)} escalations`, "accent-cache"),
        kpi("LLM calls per hour", fmtRate(calls / ((tl.viewTo - tl.viewFrom) / 3600)), `over ${fmtDur(tl.viewTo - tl.viewFrom)}`),
        kpi("Live model", live ? fmtVersion(live.version) : "—", live ? `${live.name || ""} · validation ${fmtScore(live.validation)}` : models.length ? "none marked live" : "no registry entries"),
        kpi("LLM backend", hl ? hl.llm || "none" : "—", hl && hl.model ? `small model ${hl.model}` : ""),
      );
      // rates over a handful of sequences are noise: coarser buckets than the timeline's
      const coarse = densify({ bucket_s: tl.raw.bucket_s, buckets: tl.raw.buckets }, tl.viewFrom, tl.viewTo, 40);
      $("#cost-meta").textContent = `${fmtDur(coarse.step)} buckets`;
      drawChart($("#cost-chart"), {
        label: "LLM-call rate and cache-hit rate over time", from: coarse.from, to: coarse.to, step: coarse.step, buckets: coarse.buckets,
        lines: [{ value: (b) => llmRate(b), cls: "llm", area: true }, { value: (b) => cacheRate(b), cls: "cache" }],
        leftFormat: (v) => Math.round(v * 100) + "%", leftPad: 1.1, leftCap: 1,
        marks: models.map((m) => ({ t: m.created_at, label: fmtVersion(m.version) })),
        empty: "No sequences judged in this range yet",
        tooltip: (b) => [["LLM-call rate", fmtPct(llmRate(b)), "line-llm"], ["cache-hit rate", fmtPct(cacheRate(b)), "line-cache"], ["sequences", fmtN(b.sequences)], ["LLM calls", fmtN(b.llm_calls)], ["cache hits", fmtN(b.cache_hits)]],
        onZoom: (a, b) => setCustom(a, b),
      });
    } else $("#cost-chart").replaceChildren(h("div", { class: "chart-empty" }, state.errors.has("/stats/timeline") ? "The timeline could not be loaded" : "Loading…"));
    renderModels(models);
  }

  /** What live adaptation is doing (from /health), in a few words for the models panel. */
  function adaptLine(a) {
    if (!a) return "";
    if (!a.enabled) return a.why ? `adaptation off: ${a.why}` : "adaptation off";
    const doing = a.retraining ? "retraining" : `${fmtN(a.pending)} pseudo-label${a.pending === 1 ? "" : "s"} pending`;
    return `adapting: ${doing}, ${fmtN(a.swaps)} swapped in this run`;
  }

  function renderModels(models) {
    const st = $("#model-state");
    st.className = "list-state";
    const sorted = models.slice().sort((a, b) => (a.created_at || 0) - (b.created_at || 0));
    const count = models.length ? `${models.length} version${models.length > 1 ? "s" : ""}` : "";
    $("#model-meta").textContent = [count, adaptLine(state.health && state.health.adapt)].filter(Boolean).join(" · ");
    const lane = $("#model-lane");
    if (sorted.length) {
      const t0 = sorted[0].created_at, t1 = Math.max(nowS(), sorted[sorted.length - 1].created_at + 1);
      const x = (t) => ((t - t0) / (t1 - t0)) * 100;
      lane.replaceChildren(h("div", { class: "lane", "aria-label": "model versions over time" }, sorted.map((m, i) => {
        const end = i + 1 < sorted.length ? sorted[i + 1].created_at : t1;
        return h("div", { class: "seg-v " + (m.status || ""), style: `left:${x(m.created_at)}%;width:${Math.max(0.5, x(end) - x(m.created_at))}%`, title: `${fmtVersion(m.version)} · ${m.status} · from ${fmtDateTime(m.created_at)}` }, fmtVersion(m.version));
      })), h("div", { class: "lane-axis" }, h("span", null, fmtDateTime(t0)), h("span", null, "now")));
    } else lane.replaceChildren();
    $("#model-rows").replaceChildren(...sorted.slice().reverse().map((m) => h("tr", null,
      h("td", { class: "mono" }, fmtVersion(m.version)), h("td", null, m.name || "—"), h("td", null, h("span", { class: "mstatus " + (m.status || "") }, m.status || "—")),
      h("td", { class: "num" }, typeof m.validation === "number" ? fmtScore(m.validation) : m.validation ? JSON.stringify(m.validation) : "—"),
      h("td", { class: "num" }, typeof m.trained_on === "number" ? fmtN(m.trained_on) : m.trained_on || "—"),
      h("td", null, fmtDateTime(m.created_at)), h("td", { class: "muted" }, m.note || ""))));
    if (state.errors.has("/models") && !models.length) {
      st.classList.add("error");
      st.replaceChildren(h("b", null, "Model versions could not be loaded"), state.errors.get("/models"));
    } else if (state.models && !models.length) st.replaceChildren(h("b", null, "No model versions recorded"), "The registry fills when a model is trained or adapted (logsieve models).");
    else st.replaceChildren();
  }

  // ---------------------------------------------------------------- refresh cycle
  function renderView() {
    renderControls();
    if (state.view === "anomalies") {
      renderTimeline();
      renderList();
    } else if (state.view === "templates") renderTemplatesView();
    else renderCostView();
    renderBanner();
    renderUpdated();
  }

  async function refresh({ keepList = false } = {}) {
    if (inflight) {
      // a filter changed while a refresh was under way: run again with it as soon as that one ends
      again = true;
      return inflight;
    }
    clearTimeout(refreshTimer);
    inflight = (async () => {
      const jobs = [loadHealth(), guarded("/stats/timeline", loadTimeline)];
      if (state.view === "anomalies" && !keepList) jobs.push(guarded("/anomalies", async () => { if (await loadAnomalies()) state.loadedList = true; }));
      if (state.view === "templates") jobs.push(guarded("/templates", () => loadTemplates()));
      if (state.view === "cost") jobs.push(guarded("/models", loadModels));
      await Promise.all(jobs);
      if (!state.errors.size) state.lastOk = nowS();
      renderView();
    })();
    try {
      await inflight;
    } finally {
      inflight = null;
      if (again) {
        again = false;
        refresh();
      } else schedule();
    }
  }

  function schedule() {
    clearTimeout(refreshTimer);
    if (!state.paused) refreshTimer = setTimeout(() => (document.hidden ? schedule() : refresh()), REFRESH_MS);
  }

  /** A filter changed: reload the list (and the timeline when the range changed). */
  function filtersChanged(rangeToo) {
    writeHash();
    renderControls();
    state.seenIds = null;
    if (rangeToo) state.timeline = null;
    refresh();
  }

  function setCustom(since, until) {
    if (!state.custom) state.prevRange = state.range;
    state.custom = { since, until };
    filtersChanged(true);
  }
  function clearCustom() {
    state.custom = null;
    filtersChanged(true);
  }

  // ---------------------------------------------------------------- theme
  const THEMES = ["auto", "dark", "light"];
  function applyTheme(name) {
    if (name === "auto") document.documentElement.removeAttribute("data-theme");
    else document.documentElement.setAttribute("data-theme", name);
    $("#theme").title = `Theme: ${name} (t cycles auto / dark / light)`;
    $("#theme").textContent = name === "dark" ? "☾" : name === "light" ? "☀" : "◐";
  }
  function cycleTheme() {
    let cur = "auto";
    try { cur = localStorage.getItem("logsieve.theme") || "auto"; } catch (e) { /* storage off */ }
    const next = THEMES[(THEMES.indexOf(cur) + 1) % THEMES.length];
    try { localStorage.setItem("logsieve.theme", next); } catch (e) { /* storage off */ }
    applyTheme(next);
    renderView();
  }

  // ---------------------------------------------------------------- events
  function moveSelection(delta) {
    if (!state.items.length) return;
    let i = state.items.findIndex((it) => it.id === state.selectedId);
    i = i < 0 ? (delta > 0 ? 0 : state.items.length - 1) : Math.max(0, Math.min(state.items.length - 1, i + delta));
    state.selectedId = state.items[i].id;
    for (const tr of $$("#anomaly-rows tr")) {
      const sel = Number(tr.dataset.id) === state.selectedId;
      tr.classList.toggle("selected", sel);
      tr.setAttribute("aria-selected", String(sel));
      if (sel) tr.scrollIntoView({ block: "nearest" });
    }
    if (state.openId !== null) openAnomaly(state.selectedId);
  }

  function setView(v) {
    state.view = v;
    writeHash();
    renderView();
    refresh();
  }

  function togglePause() {
    state.paused = !state.paused;
    renderControls();
    renderBanner();
    if (state.paused) clearTimeout(refreshTimer);
    else refresh();
  }

  function bind() {
    $(".tabs").addEventListener("click", (e) => {
      const b = e.target.closest("button[data-view]");
      if (b) setView(b.dataset.view);
    });
    $("#range").addEventListener("click", (e) => {
      const b = e.target.closest("button[data-range]");
      if (!b) return;
      state.range = b.dataset.range;
      state.custom = null;
      filtersChanged(true);
    });
    $("#clear-range").addEventListener("click", clearCustom);
    $("#status").addEventListener("click", (e) => {
      const b = e.target.closest("button[data-status]");
      if (!b) return;
      state.status = b.dataset.status;
      filtersChanged(false);
    });
    $("#source").addEventListener("click", (e) => {
      const b = e.target.closest("button[data-source]");
      if (!b) return;
      state.source = b.dataset.source;
      filtersChanged(false);
    });
    let qTimer = null;
    $("#q").addEventListener("input", (e) => {
      clearTimeout(qTimer);
      qTimer = setTimeout(() => {
        state.q = e.target.value.trim();
        filtersChanged(false);
      }, 250);
    });
    $("#q").addEventListener("keydown", (e) => {
      if (e.key === "Enter") {
        clearTimeout(qTimer);
        state.q = e.target.value.trim();
        filtersChanged(false);
      }
    });
    $("#tq").addEventListener("input", (e) => {
      state.tq = e.target.value.trim();
      renderTemplateTable(rangeWindow().since ?? nowS() - 3600);
    });
    $("#template-table thead").addEventListener("click", (e) => {
      const th = e.target.closest("th[data-sort]");
      if (!th) return;
      const key = th.dataset.sort;
      state.tplSort = { key, asc: state.tplSort.key === key ? !state.tplSort.asc : key === "template" || key === "id" };
      renderTemplateTable(rangeWindow().since ?? nowS() - 3600);
    });
    $("#more").addEventListener("click", async () => {
      await guarded("/anomalies", () => loadAnomalies(true));
      renderList();
      renderBanner();
    });
    $("#template-more").addEventListener("click", async () => {
      await guarded("/templates", () => loadTemplates(true));
      renderTemplatesView();
    });
    $("#pause").addEventListener("click", togglePause);
    $("#refresh").addEventListener("click", () => refresh());
    $("#theme").addEventListener("click", cycleTheme);
    $("#help").addEventListener("click", () => $("#help-dialog").showModal());
    document.addEventListener("keydown", onKey);
    let resizeTimer = null;
    window.addEventListener("resize", () => {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(renderView, 120);
    });
    document.addEventListener("visibilitychange", () => { if (!document.hidden && !state.paused) refresh(); });
    setInterval(renderUpdated, 1000);
  }

  function onKey(e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const typing = e.target.matches("input, textarea, select");
    if (typing) {
      if (e.key === "Escape") {
        if (e.target.id === "q" && e.target.value) {
          e.target.value = "";
          state.q = "";
          filtersChanged(false);
        }
        e.target.blur();
      }
      return;
    }
    if ($("#help-dialog").open) return;
    const k = e.key;
    const act = {
      "1": () => setView("anomalies"), "2": () => setView("templates"), "3": () => setView("cost"),
      "/": () => { setView("anomalies"); $("#q").focus(); $("#q").select(); },
      j: () => moveSelection(1), ArrowDown: () => moveSelection(1), k: () => moveSelection(-1), ArrowUp: () => moveSelection(-1),
      Enter: () => state.selectedId !== null && openAnomaly(state.selectedId), o: () => state.selectedId !== null && openAnomaly(state.selectedId),
      Escape: () => (state.openId !== null ? closeDetail() : state.custom ? clearCustom() : null),
      a: () => { state.status = "abnormal"; filtersChanged(false); },
      n: () => { state.status = "all"; filtersChanged(false); },
      s: () => { state.source = SOURCES[(SOURCES.indexOf(state.source) + 1) % SOURCES.length]; filtersChanged(false); },
      c: () => { const cb = $("#cited-only"); if (cb && !cb.disabled) { cb.checked = !cb.checked; cb.dispatchEvent(new Event("change")); } },
      p: togglePause, r: () => refresh(), t: cycleTheme, "?": () => $("#help-dialog").showModal(),
    }[k];
    if (!act) return;
    if (state.view !== "anomalies" && ["j", "k", "ArrowDown", "ArrowUp", "Enter", "o", "c"].includes(k)) return;
    e.preventDefault();
    act();
  }

  // ---------------------------------------------------------------- start
  function start() {
    let theme = "auto";
    try { theme = localStorage.getItem("logsieve.theme") || "auto"; } catch (e) { /* storage off */ }
    applyTheme(THEMES.includes(theme) ? theme : "auto");
    readHash();
    bind();
    renderControls();
    renderList();
    refresh().then(() => { if (state.openId !== null) openAnomaly(state.openId); });
  }
  start();
})();
