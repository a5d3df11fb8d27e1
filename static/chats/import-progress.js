// Keeps an import's progress bar current while the worker runs, then reloads
// the page once to show the final counts. Without JavaScript the page
// refreshes itself (see the template's <noscript>).
(function () {
  "use strict";
  const bar = document.querySelector("progress.import-progress[data-progress-url]");
  if (!bar) return;
  const label = bar.parentElement.querySelector(".import-progress-label");
  async function poll() {
    try {
      const response = await fetch(bar.dataset.progressUrl, { credentials: "same-origin" });
      if (response.ok) {
        const state = await response.json();
        bar.value = state.percent;
        if (label) label.textContent = `${state.records.toLocaleString()} records, ${state.percent}% read`;
        if (state.finished) { window.location.reload(); return; }
      }
    } catch (error) { /* the next poll tries again */ }
    window.setTimeout(poll, 1000);
  }
  window.setTimeout(poll, 1000);
})();
