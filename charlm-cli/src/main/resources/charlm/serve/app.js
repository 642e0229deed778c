// charlm serve: the page's behaviour. Talks only to this server's API; draws the curves as inline SVG.
"use strict";

const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";
const state = { model: null, epochs: new Map(), evaluations: new Map(), live: false, controller: null };

// ------------------------------------------------------------------ the model

async function loadModel() {
  const response = await fetch("/api/model");
  const m = await response.json();
  if (!response.ok) throw new Error(m.error || response.statusText);
  state.model = m;
  state.live = m.training;
  const rows = [
    ["cell", m.layers > 1 ? `${m.cell} × ${m.layers} layers` : m.cell],
    ["hidden units H", m.hiddens],
    ["input", m.input === "embedding" ? `embedding, E = ${m.embed_dim}` : "one-hot"],
    ["activation", m.cell === "rnn" ? m.activation : "(the cell's own)"],
    ["tokenizer", m.tokenizer],
    ["parameters", m.parameters.toLocaleString("en")],
    ["epochs trained", m.epoch],
    ["source", m.source],
  ];
  if (m.settings) {
    for (const key of ["batch_size", "num_steps", "lr", "clip", "sampling", "max_tokens", "val_fraction", "seed"]) {
      if (key in m.settings) rows.push([key.replace(/_/g, " "), String(m.settings[key])]);
    }
  }
  const dl = $("model");
  dl.replaceChildren();
  for (const [k, v] of rows) {
    const dt = document.createElement("dt");
    dt.textContent = k;
    const dd = document.createElement("dd");
    dd.textContent = v;
    dd.dataset.key = k;
    dl.append(dt, dd);
  }
  $("vocab-size").textContent = `(V = ${m.vocab_size})`;
  const vocab = $("vocab");
  vocab.replaceChildren();
  for (const token of m.vocab) {
    const span = document.createElement("span");
    span.textContent = showToken(token);
    if (token === "<unk>" || token === " " || token.trim() === "") span.className = "special";
    span.title = token === "<unk>" ? "unknown: any character outside the vocabulary" : `U+${token.codePointAt(0).toString(16).toUpperCase().padStart(4, "0")}`;
    vocab.append(span);
  }
  $("prefix").maxLength = m.limits.max_prefix_chars;
  $("length").max = m.limits.max_length;
  $("score-text").maxLength = m.limits.max_score_chars;
  showStatus();
}

function showToken(token) {
  if (token === " ") return "␣";
  if (token === "\n") return "⏎";
  if (token === "\t") return "⇥";
  return token;
}

function showStatus() {
  const m = state.model;
  if (!m) return;
  const status = $("status");
  if (state.live) {
    status.textContent = `training: epoch ${m.epoch} done · generate and score use the parameters after epoch ${m.epoch}`;
    status.className = "status live";
  } else {
    status.textContent = `${m.cell.toUpperCase()} with ${m.hiddens} hidden units, V = ${m.vocab_size}, from ${m.source}` +
        (m.epoch ? ` (epoch ${m.epoch})` : "");
    status.className = "status";
  }
}

// ------------------------------------------------------------------ generate

function strategyChanged() {
  const sample = $("strategy").value === "sample";
  for (const id of ["knob", "knob-value", "top-k", "seed"]) $(id).disabled = !sample;
}

function knobChanged() {
  const alpha = $("knob").value === "alpha";
  $("knob-label").textContent = alpha ? "α" : "temperature";
}

function request() {
  const body = { prefix: $("prefix").value, length: Number($("length").value) };
  if ($("strategy").value === "sample") {
    body.strategy = "sample";
    body[$("knob").value] = Number($("knob-value").value);
    body.top_k = Number($("top-k").value);
    body.seed = Number($("seed").value);
  }
  return body;
}

function command(body) {
  const m = state.model;
  if (!m || m.training) return "";
  const quote = (s) => "'" + s.replace(/'/g, "'\\''") + "'";
  let c = `./charlm generate --model ${quote(m.source)} --prefix ${quote(body.prefix)} --num-preds ${body.length}`;
  if (body.strategy === "sample") {
    c += " --strategy sample";
    if ("temperature" in body) c += ` --temperature ${body.temperature}`;
    if ("alpha" in body) c += ` --alpha ${body.alpha}`;
    if (body.top_k) c += ` --top-k ${body.top_k}`;
    c += ` --seed ${body.seed}`;
  }
  return c;
}

async function* serverEvents(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = "message";
      let data = "";
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) name = line.slice(7);
        else if (line.startsWith("data: ")) data += line.slice(6);
      }
      if (data) yield { name, data: JSON.parse(data) };
    }
  }
}

async function generate(event) {
  event.preventDefault();
  const body = request();
  const output = $("output");
  const generated = $("out-generated");
  $("generate-error").textContent = "";
  $("generate-info").textContent = "";
  $("out-prefix").textContent = "";
  generated.textContent = "";
  $("command").textContent = command(body);
  output.dataset.state = "streaming";
  $("generate").disabled = true;
  $("stop").disabled = false;
  state.controller = new AbortController();
  const started = performance.now();
  let count = 0;
  try {
    const response = await fetch("/api/generate/stream", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      signal: state.controller.signal,
    });
    if (!response.ok) {
      const err = await response.json().catch(() => ({ error: response.statusText }));
      throw new Error(`${response.status}: ${err.error}`);
    }
    for await (const e of serverEvents(response)) {
      if (e.name === "start") {
        $("out-prefix").textContent = e.data.prefix;
      } else if (e.name === "token") {
        generated.textContent += e.data.t;
        count++;
      } else if (e.name === "done") {
        const seconds = (performance.now() - started) / 1000;
        let info = `${count} characters in ${seconds.toFixed(2)} s, parameters after epoch ${e.data.epoch}`;
        if (e.data.unknown && e.data.unknown.length) info += ` · not in the vocabulary, read as <unk>: ${e.data.unknown.map((c) => JSON.stringify(c)).join(" ")}`;
        $("generate-info").textContent = info;
        output.dataset.state = "done";
      } else if (e.name === "error") {
        throw new Error(e.data.error);
      }
    }
    if (output.dataset.state !== "done") output.dataset.state = "stopped";
  } catch (err) {
    output.dataset.state = err.name === "AbortError" ? "stopped" : "error";
    if (err.name !== "AbortError") $("generate-error").textContent = err.message;
  } finally {
    $("generate").disabled = false;
    $("stop").disabled = true;
    state.controller = null;
  }
}

// ------------------------------------------------------------------ score

async function score(event) {
  event.preventDefault();
  $("score-error").textContent = "";
  $("score-result").textContent = "";
  try {
    const response = await fetch("/api/score", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ text: $("score-text").value }),
    });
    const r = await response.json();
    if (!response.ok) throw new Error(`${response.status}: ${r.error}`);
    $("score-result").textContent = `perplexity ${r.perplexity.toFixed(3)} · ${r.nats_per_char.toFixed(4)} nats per character ` +
        `over ${r.predictions} predictions (epoch ${r.epoch})` +
        (r.unknown.length ? ` · read as <unk>: ${r.unknown.map((c) => JSON.stringify(c)).join(" ")}` : "");
  } catch (err) {
    $("score-error").textContent = err.message;
  }
}

// ------------------------------------------------------------------ curves

function follow() {
  const source = new EventSource("/api/events");
  source.addEventListener("epoch", (e) => {
    const p = JSON.parse(e.data);
    state.epochs.set(p.epoch, p);
    if (p.sample) addSample(p.epoch, p.sample);
    if (state.live && state.model && p.epoch > state.model.epoch) {
      state.model.epoch = p.epoch;
      const dd = document.querySelector('#model dd[data-key="epochs trained"]');
      if (dd) dd.textContent = p.epoch;
      showStatus();
    }
    drawChart();
  });
  // Held-out scores inside epochs (--eval-every) and at their ends: the held-out curve's points.
  source.addEventListener("evaluation", (e) => {
    const p = JSON.parse(e.data);
    state.evaluations.set(p.step, p);
    drawChart();
  });
  source.addEventListener("end", (e) => {
    source.close();
    const end = JSON.parse(e.data);
    $("curves-note").textContent = end.message;
    if (state.live) {
      state.live = false;
      $("status").textContent = end.message;
      $("status").className = "status";
    }
    $("chart").dataset.ended = "true";
    drawChart();
  });
}

function addSample(epoch, text) {
  const list = $("samples");
  if (list.querySelector(`li[value="${epoch}"]`)) return;
  const li = document.createElement("li");
  li.value = epoch;
  li.textContent = text;
  list.prepend(li);
}

function el(name, attrs, text) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Round values between lo and hi for a log axis: the coarsest mantissa set that gives at least three. */
function logTicks(lo, hi) {
  const sets = [[1], [1, 2, 5], [1, 1.5, 2, 3, 5, 7], [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8], [1, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.8, 2, 2.2, 2.5, 3, 3.5, 4, 4.5, 5, 6, 7, 8, 9]];
  let ticks = [];
  for (const mantissas of sets) {
    ticks = [];
    for (let decade = Math.pow(10, Math.floor(Math.log10(lo))); decade <= hi; decade *= 10) {
      for (const f of mantissas) {
        const t = Number((decade * f).toPrecision(6));
        if (t >= lo && t <= hi) ticks.push(t);
      }
    }
    if (ticks.length >= 3) break;
  }
  return ticks;
}

function tickLabel(t) {
  return t >= 100 ? t.toFixed(0) : String(Number(t.toPrecision(3)));
}

function drawChart() {
  const W = 640, H = 300, left = 56, right = 16, top = 28, bottom = 40;
  const points = [...state.epochs.values()].sort((a, b) => a.epoch - b.epoch);
  const scores = [...state.evaluations.values()].sort((a, b) => a.step - b.step);
  const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "perplexity by epoch" });
  const chart = $("chart");
  chart.dataset.epochs = String(points.length);
  chart.dataset.evaluations = String(scores.length);
  if (!points.length && !scores.length) {
    svg.append(el("text", { x: W / 2, y: H / 2, "text-anchor": "middle", class: "empty" },
        state.live ? "waiting for the first epoch…" : "no curves: serve --run DIR shows a run's"));
    chart.replaceChildren(svg);
    return;
  }
  const values = [];
  for (const p of points) {
    values.push(p.perplexity);
    if (p.val_perplexity !== null) values.push(p.val_perplexity);
  }
  for (const s of scores) values.push(s.val_perplexity);
  let lo = Math.min(...values.filter((v) => v > 0 && isFinite(v)));
  let hi = Math.max(...values.filter((v) => v > 0 && isFinite(v)));
  if (!(lo > 0)) lo = 1;
  if (!(hi >= lo)) hi = lo;
  lo /= 1.08;
  hi *= 1.08;
  const xs = points.map((p) => p.epoch).concat(scores.map((s) => s.epoch));
  const first = Math.floor(Math.min(...xs)), last = Math.max(Math.ceil(Math.max(...xs)), first + 1);
  const x = (e) => left + (e - first) / (last - first) * (W - left - right);
  const y = (v) => top + (Math.log(hi) - Math.log(Math.min(Math.max(v, lo), hi))) / (Math.log(hi) - Math.log(lo)) * (H - top - bottom);

  for (const t of logTicks(lo, hi)) {
    svg.append(el("line", { x1: left, x2: W - right, y1: y(t), y2: y(t), class: "grid" }));
    svg.append(el("text", { x: left - 6, y: y(t) + 4, "text-anchor": "end", class: "tick" }, tickLabel(t)));
  }
  const xStep = Math.max(1, Math.ceil((last - first) / 8));
  for (let e = first; e <= last; e += xStep) {
    svg.append(el("text", { x: x(e), y: H - bottom + 16, "text-anchor": "middle", class: "tick" }, String(e)));
  }
  svg.append(el("line", { x1: left, x2: left, y1: top, y2: H - bottom, class: "axis" }));
  svg.append(el("line", { x1: left, x2: W - right, y1: H - bottom, y2: H - bottom, class: "axis" }));
  svg.append(el("text", { x: (left + W - right) / 2, y: H - 6, "text-anchor": "middle", class: "tick" }, "epoch"));

  // The held-out curve from every scoring when there are scores (finer than one point an epoch).
  const series = [["train", (p) => p.perplexity, "training", points],
    ["held", (p) => p.val_perplexity, "held out", scores.length ? scores : points]];
  let legendX = left + 8;
  for (const [cls, value, label, from] of series) {
    const pts = from.filter((p) => value(p) !== null && isFinite(value(p)));
    if (!pts.length) continue;
    svg.append(el("polyline", { class: cls, points: pts.map((p) => `${x(p.epoch).toFixed(1)},${y(value(p)).toFixed(1)}`).join(" ") }));
    if (pts.length <= 80) {
      for (const p of pts) svg.append(el("circle", { class: cls, cx: x(p.epoch).toFixed(1), cy: y(value(p)).toFixed(1), r: 3, "data-epoch": p.epoch }));
    }
    const lastValue = value(pts[pts.length - 1]);
    svg.append(el("line", { x1: legendX, x2: legendX + 22, y1: 14, y2: 14, class: cls }));
    svg.append(el("text", { x: legendX + 28, y: 18, class: "legend" }, `${label} ${lastValue.toFixed(2)}`));
    legendX += 170;
  }
  chart.replaceChildren(svg);
}

// ------------------------------------------------------------------ start

window.addEventListener("DOMContentLoaded", () => {
  $("strategy").addEventListener("change", strategyChanged);
  $("knob").addEventListener("change", knobChanged);
  $("generate-form").addEventListener("submit", generate);
  $("score-form").addEventListener("submit", score);
  $("stop").addEventListener("click", () => state.controller && state.controller.abort());
  strategyChanged();
  drawChart();
  loadModel()
      .then(() => {
        $("prefix").value = state.model.defaults.prefix;
        $("length").value = state.model.defaults.length;
        drawChart();
        follow();
      })
      .catch((err) => {
        $("status").textContent = `cannot load the model: ${err.message}`;
      });
});
