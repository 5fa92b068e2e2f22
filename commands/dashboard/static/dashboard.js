// fedbot dashboard: small progressive enhancement. Every page works without it.
// - copy buttons next to calendar feed URLs;
// - the announcement status page refreshes its copies table every 2 seconds while copies are
//   still being sent or withdrawn (the server renders the same page; we swap the fragment).
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var input = button.parentElement.querySelector("input");
    if (!input) return;
    input.select();
    var done = function () {
      var label = button.textContent;
      button.textContent = "✓";
      setTimeout(function () { button.textContent = label; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () { document.execCommand("copy"); done(); });
    } else {
      document.execCommand("copy");
      done();
    }
  });

  var live = document.getElementById("live");
  if (live && live.dataset.live === "yes") {
    var refresh = function () {
      fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("live");
          if (!fresh) return;
          live.replaceWith(fresh);
          live = fresh;
          if (fresh.dataset.live === "yes") setTimeout(refresh, 2000);
        })
        .catch(function () { setTimeout(refresh, 5000); });
    };
    setTimeout(refresh, 2000);
  }
})();
