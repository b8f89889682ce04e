// On a phone, a table no template stacked or wrapped scrolls inside itself (app.css): when it
// does, it becomes a keyboard stop, so that it can be scrolled without a mouse (WCAG 2.1.1).
(function () {
  function reachable() {
    document.querySelectorAll("main table:not(.stack)").forEach(function (table) {
      if (table.closest(".table-scroll")) return;
      if (table.scrollWidth > table.clientWidth + 1) table.setAttribute("tabindex", "0");
      else table.removeAttribute("tabindex");
    });
  }
  reachable();
  window.addEventListener("resize", reachable);
})();
