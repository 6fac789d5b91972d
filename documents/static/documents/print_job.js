// Polls the print job's status and updates the page in place (no inline script: the
// Content-Security-Policy forbids them). The page carries its URLs and texts in data-*.
(function () {
  var root = document.getElementById("print-job");
  if (!root || !root.dataset.statusUrl) return;
  var url = root.dataset.statusUrl;
  var pdfText = root.dataset.pdfText;
  var zipText = root.dataset.zipText;
  function link(id, href, text) {
    var a = document.createElement("a"); a.id = id; a.href = href; a.textContent = text;
    a.className = "btn btn-primary me-2 mb-2"; return a;
  }
  function poll() {
    fetch(url, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (s) {
      document.getElementById("done").textContent = s.done;
      document.getElementById("total").textContent = s.total;
      document.getElementById("status-label").textContent = s.status_label;
      var bar = document.getElementById("bar"); bar.max = s.total; bar.value = s.done;
      if (s.status === "done") {
        var d = document.getElementById("downloads"); d.textContent = "";
        if (s.pdf_url) d.appendChild(link("pdf-link", s.pdf_url, pdfText));
        if (s.zip_url) d.appendChild(link("zip-link", s.zip_url, zipText));
      } else if (s.status === "failed") {
        // The page itself shows the reason and the "print the missing parts" button.
        window.location.reload();
      } else { setTimeout(poll, 1000); }
    }).catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 1000);
})();
