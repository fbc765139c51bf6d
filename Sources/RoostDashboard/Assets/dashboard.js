// Roost dashboard: keeps counts, pause badges and the last hour's charts current from the
// server-sent `counts` events, and asks before destructive actions. No framework, no build step.
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });

  if (!window.EventSource) return;
  var base = document.body.getAttribute("data-base") || "";
  var status = document.getElementById("live-status");
  var source = new EventSource(base + "/events");

  function setStatus(text, on) {
    if (!status) return;
    status.textContent = text;
    status.classList.toggle("on", on);
  }

  function each(selector, body) {
    Array.prototype.forEach.call(document.querySelectorAll(selector), body);
  }

  // The charts (Pages/Charts.swift draws them first, with the same geometry and words).
  var chartHeight = 100;

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function clock(ms) { var m = Math.floor(ms / 60000) % 1440; return pad(Math.floor(m / 60)) + ":" + pad(m % 60) + " UTC"; }
  function percent(part, whole) { return whole === 0 ? "\u2013" : (part * 100 / whole).toFixed(1) + "%"; }
  function total(list) { return list.reduce(function (a, b) { return a + b; }, 0); }

  // Every queue's minutes added up over the window of the latest one.
  function sumLastHour(queues) {
    var start = Math.max.apply(null, queues.map(function (q) { return q.lastHour.start; }));
    var count = Math.max.apply(null, queues.map(function (q) { return q.lastHour.completed.length; }));
    var sum = { start: start, completed: [], failed: [] };
    for (var i = 0; i < count; i++) { sum.completed.push(0); sum.failed.push(0); }
    queues.forEach(function (q) {
      var shift = Math.round((start - q.lastHour.start) / 60000);
      q.lastHour.completed.forEach(function (c, i) {
        if (i - shift < 0 || i - shift >= count) return;
        sum.completed[i - shift] += c;
        sum.failed[i - shift] += q.lastHour.failed[i];
      });
    });
    return sum;
  }

  function drawChart(svg, figures) {
    var kind = svg.getAttribute("data-chart"), rects = svg.querySelectorAll("rect");
    if (rects.length !== figures.completed.length) return;
    var done = total(figures.completed), failed = total(figures.failed), peak = Math.max.apply(null, figures.completed);
    var label, caption;
    if (kind === "throughput") {
      label = "Completed per minute, last hour: " + done + " in total, at most " + peak + " in a minute";
      caption = String(done);
      svg.setAttribute("data-completed", String(done));
    } else {
      label = "Failure rate per minute, last hour: " + failed + " failed of " + (done + failed) + " finished (" +
        percent(failed, done + failed) + ")";
      caption = percent(failed, done + failed);
      svg.setAttribute("data-failed", String(failed));
      svg.setAttribute("data-finished", String(done + failed));
    }
    Array.prototype.forEach.call(rects, function (rect, i) {
      var c = figures.completed[i], f = figures.failed[i], bar, tip;
      if (kind === "throughput") { bar = c / Math.max(peak, 1); tip = c + " completed"; }
      else { bar = c + f === 0 ? 0 : f / (c + f); tip = f + " failed of " + (c + f); }
      var height = Math.round(bar * (chartHeight - 4));
      rect.setAttribute("y", String(chartHeight - height));
      rect.setAttribute("height", String(height));
      rect.querySelector("title").textContent = clock(figures.start + i * 60000) + ": " + tip;
    });
    svg.setAttribute("aria-label", label);
    svg.querySelector("title").textContent = label;
    var figure = svg.parentNode;
    figure.querySelector("[data-chart-total]").textContent = caption;
    figure.querySelector(".axis").textContent = "(" + clock(figures.start) + " \u2013 now)";
  }

  source.addEventListener("open", function () { setStatus("live", true); });
  source.addEventListener("error", function () { setStatus("reconnecting", false); });
  source.addEventListener("counts", function (event) {
    var snapshot = JSON.parse(event.data);
    snapshot.queues.forEach(function (queue) {
      each("[data-count-queue]", function (element) {
        if (element.getAttribute("data-count-queue") !== queue.name) return;
        var value = String(queue.counts[element.getAttribute("data-count-state")] || 0);
        if (element.textContent !== value) {
          element.textContent = value;
          element.classList.add("changed");
          window.setTimeout(function () { element.classList.remove("changed"); }, 1000);
        }
      });
      each("[data-paused-queue]", function (element) {
        if (element.getAttribute("data-paused-queue") === queue.name) element.textContent = queue.paused ? "paused" : "running";
      });
      each("[data-workers-queue]", function (element) {
        if (element.getAttribute("data-workers-queue") === queue.name) element.textContent = String(queue.workers);
      });
    });
    each("svg[data-chart]", function (svg) {
      var name = svg.getAttribute("data-chart-queue");
      var queues = snapshot.queues.filter(function (q) { return q.lastHour && (name === "" || q.name === name); });
      if (queues.length > 0) drawChart(svg, sumLastHour(queues));
    });
    setStatus("live", true);
  });
})();

// Live fragments (the coordination page, a running MapReduce job): an element with
// `data-live-fragment` follows that route's `fragment` events (server-sent) and swaps each in,
// until one holds an element with `data-live-final` (a finished job). Between events, every
// `data-lease-left` (ms when the fragment was read) counts down.
(function () {
  "use strict";
  if (!window.EventSource) return;

  function duration(ms) {
    if (ms < 1000) return Math.floor(ms) + "ms";
    var s = Math.floor(ms / 1000);
    if (s < 60) return s + "s";
    if (s < 3600) return Math.floor(s / 60) + "m " + (s % 60) + "s";
    if (s < 86400) return Math.floor(s / 3600) + "h " + Math.floor(s % 3600 / 60) + "m";
    return Math.floor(s / 86400) + "d " + Math.floor(s % 86400 / 3600) + "h";
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-live-fragment]"), function (live) {
    if (live.querySelector("[data-live-final]")) return;
    var readAt = Date.now();
    var source = new EventSource(live.getAttribute("data-live-fragment"));
    source.addEventListener("fragment", function (event) {
      live.innerHTML = event.data;
      readAt = Date.now();
      if (live.querySelector("[data-live-final]")) source.close();
    });
    window.setInterval(function () {
      var elapsed = Date.now() - readAt;
      Array.prototype.forEach.call(live.querySelectorAll("[data-lease-left]"), function (element) {
        var left = Number(element.getAttribute("data-lease-left")) - elapsed;
        element.textContent = left > 0 ? duration(left) : "expired";
      });
    }, 250);
  });
})();
