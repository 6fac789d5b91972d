// The live weighted total of an evaluation form: Σ weight·score/max ÷ Σ weight × 100, the
// rule of workflows.services.weighted_total, shown as a Vietnamese number (80,54).
(function () {
  var out = document.getElementById("live-total");
  if (!out) return;
  var form = out.closest("form");
  var inputs = Array.prototype.slice.call(form.querySelectorAll("input[data-weight]"));
  var locale = document.documentElement.lang || "vi";
  function value(input) {
    var text = input.value.trim().replace(/\s/g, "").replace(",", ".");
    if (text === "" || isNaN(Number(text))) return null;
    return Number(text);
  }
  function update() {
    var weighted = 0, weights = 0, complete = true;
    inputs.forEach(function (input) {
      var w = Number(input.dataset.weight), max = Number(input.dataset.max), v = value(input);
      weights += w;
      if (v === null || v < 0 || v > max) { complete = false; return; }
      weighted += w * v / max;
    });
    var total = weights ? weighted / weights * 100 : 0;
    out.textContent = total.toLocaleString(locale, {minimumFractionDigits: 2, maximumFractionDigits: 2});
    out.dataset.complete = complete ? "yes" : "no";
  }
  inputs.forEach(function (input) { input.addEventListener("input", update); });
  update();
})();
