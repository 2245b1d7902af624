// Reloads the page's content every data-refresh seconds without reloading
// the page, so the scroll position and focus stay; says so when the
// exporter cannot be reached, so a wall screen never shows stale data as fresh.
(function () {
  var seconds = Number(document.documentElement.dataset.refresh);
  if (!(seconds > 0)) return;
  function show(main) {
    var focused = document.activeElement && document.activeElement.id;
    document.querySelector("main").replaceWith(main);
    if (focused && document.getElementById(focused)) document.getElementById(focused).focus({ preventScroll: true });
  }
  function stale(why) {
    var note = document.getElementById("stale");
    note.textContent = "Not refreshed since " + document.getElementById("rendered").textContent + " UTC: " + why + ". Retrying.";
    note.hidden = false;
  }
  function refresh() {
    if (document.hidden) return;
    fetch(location.href, { cache: "no-store", headers: { "X-Requested-With": "refresh" } })
      .then(function (r) {
        if (!r.ok) throw new Error("the exporter answered " + r.status);
        return r.text();
      })
      .then(function (html) {
        var main = new DOMParser().parseFromString(html, "text/html").querySelector("main");
        if (!main) throw new Error("the answer was not a status page");
        show(main);
      })
      .catch(function (e) { stale(e.message); });
  }
  setInterval(refresh, seconds * 1000);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) refresh(); });
})();
