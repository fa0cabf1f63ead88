// The live progress of an announcement's WhatsApp send: polls the counts every 3 seconds
// while the tab is visible (every 15 seconds once everything is handed over, for the
// delivered/read statuses that keep arriving), and reloads once when the send changes
// state, so the pause/resume/cancel buttons match.
(function () {
  "use strict";
  var box = document.getElementById("progress");
  if (!box) return;
  var bar = document.getElementById("progress-bar");
  var busy = false;
  var state = box.dataset.state;
  var wait = 3000;

  var text = function (name, value) {
    var node = box.querySelector('[data-field="' + name + '"]');
    if (node) node.textContent = value;
  };

  var reasons = function (data) {
    var node = box.querySelector('[data-field="reasons"]');
    if (!node) return;
    var items = [];
    data.failures.forEach(function (f) { items.push("Gagal, " + f.label + ": " + f.n); });
    data.skips.forEach(function (s) { items.push("Dilewati, " + s.label + ": " + s.n); });
    node.textContent = "";
    if (!items.length) return;
    var list = document.createElement("ul");
    list.className = "small reasons";
    items.forEach(function (line) {
      var li = document.createElement("li");
      li.textContent = line;
      list.appendChild(li);
    });
    node.appendChild(list);
  };

  var show = function (data) {
    if (data.state === "none") return;
    bar.value = data.percent;
    bar.textContent = data.percent + "%";
    text("percent", data.percent);
    text("done", data.done);
    text("total", data.total);
    text("state_label", data.state_label);
    Object.keys(data.counts).forEach(function (key) {
      var node = box.querySelector('[data-count="' + key + '"]');
      if (node) node.textContent = data.counts[key];
    });
    reasons(data);
    if (data.state !== state) {
      state = data.state;
      window.location.reload();
    }
    wait = data.finished ? 15000 : 3000;
  };

  var poll = function () {
    if (busy) return;
    if (document.hidden) return schedule();
    busy = true;
    fetch(box.dataset.url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) show(data); })
      .catch(function () { /* offline for a moment: the next poll tries again */ })
      .finally(function () { busy = false; schedule(); });
  };
  var schedule = function () { window.setTimeout(poll, wait); };
  schedule();
})();
