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

// A MapReduce job's page: while the job runs, reads its figures again every second and swaps
// them in (the element names its fragment route and the job's status).
(function () {
  "use strict";
  function refreshCompute() {
    var live = document.getElementById("compute-live");
    if (!live || live.getAttribute("data-compute-status") !== "running" || !window.fetch) return;
    window.setTimeout(function () {
      window.fetch(live.getAttribute("data-compute-fragment"), { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
        .then(function (html) { live.outerHTML = html; })
        .catch(function () {})
        .then(refreshCompute);
    }, 1000);
  }
  refreshCompute();
})();
