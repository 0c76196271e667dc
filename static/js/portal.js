/* Portal Kampung KB: small enhancements for every page (loaded on all pages). */
(function () {
  "use strict";
  // A table wider than the screen scrolls inside its box; keyboard users must be able to
  // reach and scroll that box too (WCAG 2.1.1, axe "scrollable-region-focusable").
  function labelFor(box) {
    var caption = box.querySelector("caption");
    if (caption && caption.textContent.trim()) return caption.textContent.trim();
    var section = box.closest("section, .card, main");
    var heading = section && section.querySelector("h1, h2, h3");
    return heading ? heading.textContent.trim() : document.title;
  }
  function markScrollable() {
    document.querySelectorAll(".table-responsive").forEach(function (box) {
      if (box.hasAttribute("tabindex")) return;
      if (box.scrollWidth > box.clientWidth + 1) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        if (!box.hasAttribute("aria-label") && !box.hasAttribute("aria-labelledby")) {
          box.setAttribute("aria-label", labelFor(box));
        }
      }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", markScrollable);
  } else {
    markScrollable();
  }
  window.addEventListener("resize", markScrollable);
  document.addEventListener("htmx:afterSwap", markScrollable);
})();
