/* Payvand forms: conditional display (data-show-if-*), the Jalali date picker and the contact picker for forms drawn
   by payvand.forms.rendering.form_render. No dependencies; safe to load more than once. */
(function () {
  "use strict";
  if (window.payvandForms) return;

  var DIGITS = { "۰": "0", "۱": "1", "۲": "2", "۳": "3", "۴": "4", "۵": "5", "۶": "6", "۷": "7", "۸": "8", "۹": "9",
    "٠": "0", "١": "1", "٢": "2", "٣": "3", "٤": "4", "٥": "5", "٦": "6", "٧": "7", "٨": "8", "٩": "9" };

  function asciiDigits(text) {
    return String(text).replace(/[۰-۹٠-٩]/g, function (d) { return DIGITS[d]; });
  }

  function wrapperOf(form, name) {
    var all = form.querySelectorAll("[data-field]");
    for (var i = 0; i < all.length; i++) {
      if (all[i].getAttribute("data-field") === name) return all[i];
    }
    return null;
  }

  function currentValue(wrapper) {
    var kind = wrapper.getAttribute("data-kind");
    if (kind === "checkbox") {
      var box = wrapper.querySelector("input[type=checkbox]");
      return !!(box && box.checked);
    }
    if (kind === "multi_choice") {
      return Array.prototype.map.call(wrapper.querySelectorAll("input[type=checkbox]:checked"), function (b) {
        return b.value;
      });
    }
    var input = wrapper.querySelector("input:not([type=search]), select, textarea");
    if (!input) return null;
    var value = input.value.trim();
    if (kind === "number") {
      value = asciiDigits(value).replace("٫", ".").replace(/[٬,\s]/g, "");
      return value === "" ? null : Number(value);
    }
    if (kind === "text" || kind === "long_text" || kind === "asset") return value.replace(/\s+/g, " ");
    return value;
  }

  function matches(value, wanted) {
    if (Array.isArray(value)) return value.indexOf(wanted) !== -1;
    return value === wanted;
  }

  function setShown(wrapper, shown) {
    wrapper.hidden = !shown;
    wrapper.querySelectorAll("input, select, textarea, button").forEach(function (el) {
      el.disabled = !shown;
    });
  }

  function applyConditions(form) {
    // Fields come after the field their condition tests, so one pass in order settles chains of conditions.
    form.querySelectorAll("[data-field]").forEach(function (wrapper) {
      var name = wrapper.getAttribute("data-show-if-field");
      if (!name) return;
      var controller = wrapperOf(form, name);
      var wanted;
      try {
        wanted = JSON.parse(wrapper.getAttribute("data-show-if-value"));
      } catch (e) {
        wanted = null;
      }
      var shown = !!controller && !controller.hidden && matches(currentValue(controller), wanted);
      if (shown === wrapper.hidden) setShown(wrapper, shown);
    });
  }

  function applyAll(root) {
    (root || document).querySelectorAll("[data-payvand-form]").forEach(applyConditions);
  }

  function load(url, params, target) {
    var query = new URLSearchParams(params).toString();
    return fetch(url + (url.indexOf("?") === -1 ? "?" : "&") + query, {
      credentials: "same-origin",
      headers: { "X-Requested-With": "XMLHttpRequest" }
    }).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      return response.text();
    }).then(function (html) {
      target.innerHTML = html;
    });
  }

  /* ------------------------------------------------------------------ Jalali date picker */

  function calendarFor(button) {
    var id = button.getAttribute("data-calendar-for");
    return { input: document.getElementById(id), popup: document.getElementById(id + "-calendar"), button: button };
  }

  function openCalendar(parts, month) {
    var form = parts.popup.closest("[data-payvand-form]");
    var params = { value: asciiDigits(parts.input.value) };
    if (month) params.month = month;
    return load(form.getAttribute("data-calendar-url"), params, parts.popup).then(function () {
      parts.popup.hidden = false;
      parts.button.setAttribute("aria-expanded", "true");
    }).catch(function () {
      parts.popup.hidden = true;
    });
  }

  function closeCalendars(except) {
    document.querySelectorAll(".payvand-calendar").forEach(function (popup) {
      if (popup !== except && !popup.hidden) {
        popup.hidden = true;
        var button = document.querySelector('[data-calendar-for="' + popup.id.replace(/-calendar$/, "") + '"]');
        if (button) button.setAttribute("aria-expanded", "false");
      }
    });
  }

  /* ------------------------------------------------------------------ contact picker */

  var searchTimer = null;

  function searchContacts(input) {
    var picker = input.closest("[data-contact-picker]");
    var results = picker.querySelector("[data-contact-results]");
    var text = input.value.trim();
    if (text.length < 2) {
      results.innerHTML = "";
      return;
    }
    var form = picker.closest("[data-payvand-form]");
    load(form.getAttribute("data-contacts-url"), { q: text }, results).catch(function () {
      results.innerHTML = "";
    });
  }

  function fire(el) {
    el.dispatchEvent(new Event("input", { bubbles: true }));
    el.dispatchEvent(new Event("change", { bubbles: true }));
  }

  /* ------------------------------------------------------------------ events */

  document.addEventListener("input", function (event) {
    var form = event.target.closest && event.target.closest("[data-payvand-form]");
    if (!form) return;
    if (event.target.matches("[data-contact-search]")) {
      clearTimeout(searchTimer);
      searchTimer = setTimeout(function () { searchContacts(event.target); }, 300);
      return;
    }
    applyConditions(form);
  });

  document.addEventListener("change", function (event) {
    var form = event.target.closest && event.target.closest("[data-payvand-form]");
    if (form) applyConditions(form);
  });

  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target.closest("button") : null;
    if (!target || !target.closest("[data-payvand-form]")) {
      if (!(event.target.closest && event.target.closest(".payvand-calendar"))) closeCalendars(null);
      return;
    }
    if (target.hasAttribute("data-calendar-for")) {
      var parts = calendarFor(target);
      closeCalendars(parts.popup);
      if (parts.popup.hidden) openCalendar(parts);
      else closeCalendars(null);
    } else if (target.hasAttribute("data-calendar-month")) {
      var popup = target.closest(".payvand-calendar");
      var button = document.querySelector('[data-calendar-for="' + popup.id.replace(/-calendar$/, "") + '"]');
      openCalendar(calendarFor(button), target.getAttribute("data-calendar-month"));
    } else if (target.hasAttribute("data-calendar-pick")) {
      var pop = target.closest(".payvand-calendar");
      var input = document.getElementById(pop.id.replace(/-calendar$/, ""));
      input.value = target.getAttribute("data-calendar-pick");
      closeCalendars(null);
      fire(input);
      input.focus();
    } else if (target.hasAttribute("data-contact-pick")) {
      var picker = target.closest("[data-contact-picker]");
      var hidden = picker.querySelector("input[type=hidden]");
      hidden.value = target.getAttribute("data-contact-pick");
      picker.querySelector("[data-contact-label]").textContent = target.getAttribute("data-contact-name");
      picker.querySelector("[data-contact-chosen]").hidden = false;
      picker.querySelector("[data-contact-results]").innerHTML = "";
      picker.querySelector("[data-contact-search]").value = "";
      fire(hidden);
    } else if (target.hasAttribute("data-contact-clear")) {
      var box = target.closest("[data-contact-picker]");
      var field = box.querySelector("input[type=hidden]");
      field.value = "";
      box.querySelector("[data-contact-chosen]").hidden = true;
      fire(field);
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") closeCalendars(null);
  });

  document.addEventListener("DOMContentLoaded", function () { applyAll(document); });
  document.addEventListener("htmx:load", function (event) { applyAll(event.target); });

  window.payvandForms = { apply: applyAll, asciiDigits: asciiDigits };
  if (document.readyState !== "loading") applyAll(document);
})();
