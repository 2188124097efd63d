// Ticks the SLA card's running clocks every second between the card's refreshes (the server sends the business
// seconds left; a clock outside working hours or paused does not tick). Loaded once per page.
(function () {
  if (window.payvandSlaCountdown) return;
  window.payvandSlaCountdown = true;
  const persian = "۰۱۲۳۴۵۶۷۸۹";
  function digits(text, fa) {
    return fa ? text.replace(/[0-9]/g, (d) => persian[Number(d)]) : text;
  }
  function clock(seconds) {
    const s = Math.abs(seconds);
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const sec = s % 60;
    return `${seconds < 0 ? "−" : ""}${h}:${String(m).padStart(2, "0")}:${String(sec).padStart(2, "0")}`;
  }
  setInterval(function () {
    const fa = document.documentElement.lang === "fa";
    document.querySelectorAll("[data-sla-seconds]").forEach(function (el) {
      let left = Number(el.dataset.slaSeconds);
      if (el.dataset.slaLive === "1") {
        left -= 1;
        el.dataset.slaSeconds = String(left);
      }
      el.textContent = digits(clock(left), fa);
    });
  }, 1000);
})();
