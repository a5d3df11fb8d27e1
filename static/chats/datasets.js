// The "Data" and "Cite" sections (templates/chats/includes/datasets.html).
// The chat page is cached by its content version, so what it was rendered
// with can be old: the access date in citations is set to the reader's
// today, and the downloads are read again (a bundle is built by a worker
// minutes after the data change). Without JavaScript the page keeps the
// date and the list it was rendered with.
(function () {
  "use strict";
  var MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                "October", "November", "December"];
  var today = new Date();
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  var formats = {
    apa: MONTHS[today.getMonth()] + " " + today.getDate() + ", " + today.getFullYear(),
    iso: today.getFullYear() + "-" + pad(today.getMonth() + 1) + "-" + pad(today.getDate()),
  };
  document.querySelectorAll("[data-access-date]").forEach(function (element) {
    var text = formats[element.getAttribute("data-access-date")];
    if (text) element.textContent = text;
  });

  // Django's filesizeformat, closely enough: 1.0 KB, 11.1 KB, 2.3 MB.
  function size(bytes) {
    var units = ["bytes", "KB", "MB", "GB"], value = bytes, unit = 0;
    while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
    return unit === 0 ? bytes + " bytes" : value.toFixed(1) + "\u00a0" + units[unit];
  }
  function builtOn(iso) {
    var date = new Date(iso);
    if (Number.isNaN(date.getTime())) return null;
    return date;
  }

  var section = document.querySelector("[data-datasets-url]");
  if (!section || !window.fetch) return;
  fetch(section.getAttribute("data-datasets-url"), { headers: { Accept: "application/json" } })
    .then(function (response) { return response.ok ? response.json() : null; })
    .then(function (data) {
      if (!data || !Array.isArray(data.downloads)) return;
      var list = section.querySelector(".dataset-list");
      var preparing = section.querySelector(".dataset-preparing");
      if (!list) return;
      list.textContent = "";
      data.downloads.forEach(function (download) {
        var item = document.createElement("li");
        var link = document.createElement("a");
        link.href = download.url;
        link.setAttribute("download", "");
        link.textContent = download.label;
        var meta = document.createElement("span");
        meta.className = "meta";
        meta.textContent = size(download.size);
        var built = download.built_at && builtOn(download.built_at);
        if (built) {
          var time = document.createElement("time");
          time.setAttribute("datetime", download.built_at);
          time.textContent = built.getDate() + " " + MONTHS[built.getMonth()] + " " + built.getFullYear();
          meta.appendChild(document.createTextNode(", built "));
          meta.appendChild(time);
        }
        item.appendChild(link);
        item.appendChild(document.createTextNode(" "));
        item.appendChild(meta);
        list.appendChild(item);
      });
      if (preparing) preparing.hidden = data.downloads.length > 0;
    })
    .catch(function () { /* keep what the page was rendered with */ });
})();
