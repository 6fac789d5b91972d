// Date fields: typed the Vietnamese way (dd/mm/yyyy, what the server reads), with a calendar
// button beside each. The calendar is the browser's own (an <input type="date"> kept out of
// the form: it has no name, so it is never submitted); a day picked there is written into the
// text field as dd/mm/yyyy, and the calendar opens on the day already typed.
(function () {
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function toIso(text) {
    var m = /^\s*(\d{1,2})[\/.-](\d{1,2})[\/.-](\d{4})\s*$/.exec(text || "");
    if (m) return m[3] + "-" + pad(+m[2]) + "-" + pad(+m[1]);
    m = /^\s*(\d{4})-(\d{2})-(\d{2})\s*$/.exec(text || "");
    return m ? m[0].trim() : "";
  }
  function fromIso(iso) {
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || "");
    return m ? m[3] + "/" + m[2] + "/" + m[1] : "";
  }
  function enhance(input) {
    if (input.dataset.datePickerReady) return;
    input.dataset.datePickerReady = "1";
    var group = document.createElement("div");
    group.className = "input-group date-picker";
    input.parentNode.insertBefore(group, input);
    group.appendChild(input);
    var picker = document.createElement("input");
    picker.type = "date";
    picker.tabIndex = -1;
    picker.className = "date-picker-native";
    picker.setAttribute("aria-hidden", "true");
    picker.setAttribute("aria-label", input.dataset.datePicker || "Calendar");
    if (input.min) picker.min = toIso(input.min);
    if (input.max) picker.max = toIso(input.max);
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-outline-secondary date-picker-button";
    button.setAttribute("aria-label", input.dataset.datePicker || "Calendar");
    button.title = button.getAttribute("aria-label");
    // A drawn calendar, not the emoji: a machine without a colour emoji font shows a box.
    button.innerHTML =
      '<svg aria-hidden="true" focusable="false" width="20" height="20" viewBox="0 0 20 20" ' +
      'fill="none" stroke="currentColor" stroke-width="1.6"><rect x="2.5" y="4" width="15" ' +
      'height="13.5" rx="1.5"/><path d="M2.5 8.5h15M6.5 2v4M13.5 2v4"/><path d="M6 11.5h2M9 ' +
      '11.5h2M12 11.5h2M6 14.5h2M9 14.5h2" stroke-width="2"/></svg>';
    group.appendChild(button);
    group.appendChild(picker);
    button.addEventListener("click", function () {
      picker.value = toIso(input.value);
      if (typeof picker.showPicker === "function") {
        try { picker.showPicker(); return; } catch (e) { /* not allowed: fall through */ }
      }
      picker.focus();
      picker.click();
    });
    picker.addEventListener("change", function () {
      if (!picker.value) return;
      input.value = fromIso(picker.value);
      input.dispatchEvent(new Event("input", {bubbles: true}));
      input.dispatchEvent(new Event("change", {bubbles: true}));
      input.focus();
    });
  }
  function scan(root) {
    (root || document).querySelectorAll("input[data-date-picker]").forEach(enhance);
  }
  document.addEventListener("DOMContentLoaded", function () { scan(document); });
  // Forms htmx swaps in get their buttons too.
  document.addEventListener("htmx:load", function (event) { scan(event.target); });
  if (document.readyState !== "loading") scan(document);
})();
