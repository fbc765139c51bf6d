// Roost dashboard: keeps counts and pause badges current from the server-sent `counts` events,
// and asks before destructive actions. No framework, no build step.
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
    setStatus("live", true);
  });
})();

// Live fragments (the coordination page, a running MapReduce job): an element with
// `data-live-fragment` is read again from that route every second and its content swapped in,
// until the new content holds an element with `data-live-final` (a finished job). Between
// reads, every `data-lease-left` (ms at the last read) counts down.
(function () {
  "use strict";
  if (!window.fetch) return;

  function duration(ms) {
    if (ms < 1000) return Math.floor(ms) + "ms";
    var s = Math.floor(ms / 1000);
    if (s < 60) return s + "s";
    if (s < 3600) return Math.floor(s / 60) + "m " + (s % 60) + "s";
    if (s < 86400) return Math.floor(s / 3600) + "h " + Math.floor(s % 3600 / 60) + "m";
    return Math.floor(s / 86400) + "d " + Math.floor(s % 86400 / 3600) + "h";
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-live-fragment]"), function (live) {
    var readAt = Date.now();

    function countDown() {
      var elapsed = Date.now() - readAt;
      Array.prototype.forEach.call(live.querySelectorAll("[data-lease-left]"), function (element) {
        var left = Number(element.getAttribute("data-lease-left")) - elapsed;
        element.textContent = left > 0 ? duration(left) : "expired";
      });
    }

    function refresh() {
      window.fetch(live.getAttribute("data-live-fragment"), { credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.text();
        })
        .then(function (html) { live.innerHTML = html; readAt = Date.now(); })
        .catch(function () {})
        .then(function () { if (!live.querySelector("[data-live-final]")) window.setTimeout(refresh, 1000); });
    }

    if (live.querySelector("[data-live-final]")) return;
    window.setInterval(countDown, 250);
    window.setTimeout(refresh, 1000);
  });
})();
