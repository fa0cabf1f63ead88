// The inbox transcript: new messages appear without a reload (polls every 5 seconds while
// the tab is visible), and quick replies fill the reply box.
(function () {
  "use strict";
  var list = document.getElementById("transcript");
  if (list) {
    var busy = false;
    var poll = function () {
      if (busy || document.hidden) return;
      busy = true;
      var url = list.dataset.updates + "?in=" + list.dataset.in + "&out=" + list.dataset.out;
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) return;
          if (data.html) {
            list.insertAdjacentHTML("beforeend", data.html);
            list.lastElementChild.scrollIntoView({ block: "nearest" });
          }
          list.dataset.in = data.in;
          list.dataset.out = data.out;
        })
        .catch(function () { /* offline for a moment: the next poll tries again */ })
        .finally(function () { busy = false; });
    };
    setInterval(poll, 5000);
  }
  document.querySelectorAll("[data-quick]").forEach(function (button) {
    button.addEventListener("click", function () {
      var box = document.getElementById("text");
      box.value = button.dataset.quick;
      box.focus();
    });
  });
})();
