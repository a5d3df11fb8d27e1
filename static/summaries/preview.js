// The summary form's "Preview the body" button: with JavaScript, the server's
// sanitised rendering of the Markdown is shown below the form instead of in a
// new tab. The HTML comes from our preview endpoint, already cleaned by nh3.
(function () {
  "use strict";
  function setUp() {
    var button = document.getElementById("summary-preview-button");
    var target = document.getElementById("summary-preview");
    var body = document.getElementById("id_body_markdown");
    if (!button || !target || !body) return;
    button.addEventListener("click", function (event) {
      event.preventDefault();
      var form = button.form;
      var data = new FormData();
      data.append("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
      data.append("body_markdown", body.value);
      target.textContent = "Rendering…";
      fetch(button.getAttribute("formaction"), {
        method: "POST", body: data, credentials: "same-origin", headers: {"X-Requested-With": "preview"}
      }).then(function (response) {
        if (!response.ok) throw new Error("The preview failed (" + response.status + ").");
        return response.text();
      }).then(function (html) {
        target.innerHTML = html;
      }).catch(function (error) {
        target.textContent = error.message;
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
