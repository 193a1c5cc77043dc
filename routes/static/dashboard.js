// Small helpers for the dashboard pages (htmx does the refreshing).
"use strict";

// The periodic refresh replaces the page's figures; it must not throw away what someone is typing into a
// form (a closing note, a reason). htmx calls this before each refresh: skip while a field is focused or
// has been typed into.
let wlDirty = false;
document.addEventListener("input", (event) => {
  if (event.target.closest && event.target.closest("main form")) wlDirty = true;
});
document.addEventListener("htmx:afterSwap", () => { wlDirty = false; });

function wlIdle() {
  const active = document.activeElement;
  const typing = active && active.closest && active.closest("main form") &&
    ["INPUT", "TEXTAREA", "SELECT"].includes(active.tagName);
  return !typing && !wlDirty;
}
window.wlIdle = wlIdle;

// On paper, tables folded away on screen (the trend's figures) are printed open.
window.addEventListener("beforeprint", () => {
  document.querySelectorAll("details.print-open").forEach((details) => { details.open = true; });
});
