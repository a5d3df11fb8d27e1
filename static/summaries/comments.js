// "Reply" under a comment moves the comment form there and sets its parent;
// without JavaScript the same link reloads the page with ?replyto=<id>.
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }
  ready(function () {
    var form = document.getElementById("comment-form");
    var home = document.getElementById("comment-form-home");
    if (!form || !home) { return; }
    var parentInput = form.querySelector("input[name='parent']");
    var replying = form.querySelector(".comment-replying-to");
    var replyingLink = form.querySelector(".comment-replying-to-link");

    function replyTo(link) {
      var card = link.closest(".comment-card");
      card.parentNode.insertBefore(form, card.nextSibling);
      parentInput.value = link.getAttribute("data-reply-to");
      replyingLink.textContent = link.getAttribute("data-author");
      replyingLink.setAttribute("href", "#comment-" + parentInput.value);
      replying.hidden = false;
      var body = form.querySelector("textarea");
      if (body) { body.focus(); }
    }

    function cancelReply() {
      home.appendChild(form);
      parentInput.value = "";
      replying.hidden = true;
    }

    document.addEventListener("click", function (event) {
      var link = event.target.closest("a.comment-reply");
      if (link) { event.preventDefault(); replyTo(link); return; }
      if (event.target.closest("a.comment-cancel-reply")) { event.preventDefault(); cancelReply(); }
    });
    if (parentInput.value) {
      // Arrived with ?replyto=: show the form under that comment as well.
      var link = document.querySelector("a.comment-reply[data-reply-to='" + parentInput.value + "']");
      if (link) { replyTo(link); }
    }
  });
})();
