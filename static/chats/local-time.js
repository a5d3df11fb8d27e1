// Adds the reader's own time to times shown in the series' timezone:
// <time datetime="2019-01-16T13:00:00-05:00" data-local data-zone="America/Toronto">
// gets " (03:00 your time, Asia/Tokyo)" when the reader's zone differs.
// Without JavaScript (or Intl) the page keeps the series' time only.
(function () {
  "use strict";
  if (!window.Intl || !Intl.DateTimeFormat) return;
  const readerZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!readerZone) return;
  const clock = new Intl.DateTimeFormat(undefined, {
    hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: readerZone,
  });
  // Two zones with other names may keep the same clock (UTC and Etc/UTC):
  // compare the wall-clock time they show, not their names.
  function wallClock(date, zone) {
    try {
      return new Intl.DateTimeFormat("en-GB", {
        year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
        hourCycle: "h23", timeZone: zone,
      }).format(date);
    } catch (error) {
      return null; // a zone name this browser does not know
    }
  }
  document.querySelectorAll("time[datetime][data-local]").forEach(function (element) {
    const date = new Date(element.getAttribute("datetime"));
    if (Number.isNaN(date.getTime())) return;
    const seriesZone = element.dataset.zone;
    if (seriesZone && wallClock(date, seriesZone) === wallClock(date, readerZone)) return;
    const note = document.createElement("span");
    note.className = "local-time";
    note.textContent = " (" + clock.format(date) + " your time, " + readerZone.replace(/_/g, " ") + ")";
    element.after(note);
  });
})();
