// The forms' small helpers (issue 16), loaded as a file: the CSP allows no inline script.
// 1. A text area with data-contatore shows "n / max caratteri" as one types, max = its maxlength.
// 2. A file input with data-max-bytes refuses a file over the server's limit before sending, so
//    the rest of the form is never lost to a 413.
(function () {
  "use strict";
  function counter(area) {
    var max = parseInt(area.getAttribute("maxlength"), 10);
    if (!max) { return; }
    var out = document.createElement("p");
    out.className = "contatore form-text";
    out.id = area.id + "-contatore";
    out.setAttribute("aria-live", "polite");
    area.insertAdjacentElement("afterend", out);
    var described = area.getAttribute("aria-describedby");
    area.setAttribute("aria-describedby", (described ? described + " " : "") + out.id);
    function update() {
      var used = area.value.length;
      out.textContent = used + " / " + max + " caratteri";
      out.classList.toggle("quasi-pieno", used > max * 0.9);
    }
    area.addEventListener("input", update);
    update();
  }
  function sizeCheck(input) {
    var max = parseInt(input.getAttribute("data-max-bytes"), 10);
    var mb = input.getAttribute("data-max-mb");
    input.addEventListener("change", function () {
      var big = false;
      for (var i = 0; i < input.files.length; i++) {
        if (input.files[i].size > max) { big = true; }
      }
      input.setCustomValidity(big ? "File troppo grande: il limite è di " + mb + " MB." : "");
      if (big) { input.reportValidity(); }
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("textarea[data-contatore]").forEach(counter);
    document.querySelectorAll("input[type=file][data-max-bytes]").forEach(sizeCheck);
  });
})();
