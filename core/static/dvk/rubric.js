// The rubric page: the weights' total, live, as a Vietnamese number.
(function () {
  var out = document.getElementById("rubric-total");
  if (!out) return;
  var form = out.closest("form");
  var locale = document.documentElement.lang || "vi";
  function update() {
    var total = 0;
    form.querySelectorAll("input[data-rubric-weight]").forEach(function (input) {
      var row = input.closest("fieldset");
      var drop = row && row.querySelector("input[type=checkbox][name$='-DELETE']");
      if (drop && drop.checked) return;
      var v = Number(input.value.trim().replace(",", "."));
      if (input.value.trim() !== "" && !isNaN(v)) total += v;
    });
    out.textContent = total.toLocaleString(locale, {maximumFractionDigits: 2});
    out.classList.toggle("text-danger", Math.abs(total - 100) > 1e-9);
  }
  form.addEventListener("input", update);
  form.addEventListener("change", update);
  update();
})();
