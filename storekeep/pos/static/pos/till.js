/* The till's keyboard: the scan field keeps focus; F2 scan, F4 search, F9 pay; arrow keys in
   search results. Everything works without it, only slower. */
(function () {
  "use strict";
  var scan = function () { return document.getElementById("scan"); };
  var search = function () { return document.getElementById("search"); };
  function focusScan() { var el = scan(); if (el && document.activeElement !== el) { el.focus(); } }
  function results() { return Array.prototype.slice.call(document.querySelectorAll("#search-results .result")); }

  document.addEventListener("keydown", function (event) {
    if (event.key === "F2") { event.preventDefault(); focusScan(); return; }
    if (event.key === "F4") { event.preventDefault(); var s = search(); if (s) { s.focus(); s.select(); } return; }
    if (event.key === "F9") { var pay = document.getElementById("pay-link"); if (pay) { event.preventDefault(); pay.click(); } return; }
    var list = results();
    var active = document.activeElement;
    if (active === search()) {
      if (event.key === "ArrowDown" && list.length) { event.preventDefault(); list[0].focus(); }
      if (event.key === "Enter") { event.preventDefault(); if (list.length) { list[0].click(); } }
      if (event.key === "Escape") { event.preventDefault(); search().value = ""; document.getElementById("search-results").innerHTML = ""; focusScan(); }
      return;
    }
    var index = list.indexOf(active);
    if (index >= 0) {
      if (event.key === "ArrowDown") { event.preventDefault(); (list[index + 1] || list[index]).focus(); }
      if (event.key === "ArrowUp") { event.preventDefault(); (index === 0 ? search() : list[index - 1]).focus(); }
      if (event.key === "Escape") { event.preventDefault(); search().focus(); }
    }
  });

  // After the cart changes, the scan field gets the focus again (what a scanner typed meanwhile
  // stays: a queued scan reads the field when it is sent).
  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "sale") {
      var source = event.detail.requestConfig && event.detail.requestConfig.elt;
      var fromSearch = source && source.closest && source.closest("#search-results");
      if (fromSearch) { search().value = ""; document.getElementById("search-results").innerHTML = ""; }
      focusScan();
    }
  });
  // A count of finished cart updates (tests and assistive tools can wait on it).
  document.body.addEventListener("htmx:afterSettle", function (event) {
    if (!event.detail.target || event.detail.target.id !== "sale") return;
    document.body.dataset.updates = String((parseInt(document.body.dataset.updates || "0", 10) || 0) + 1);
  });
  document.body.addEventListener("htmx:beforeRequest", function (event) {
    var source = event.detail.elt;
    if (source && source.id === "scan-form") {
      // The code is in the request now: clear the field at once so the next scan starts clean.
      setTimeout(function () { var s = scan(); if (s) { s.value = ""; } }, 0);
    }
  });
})();
