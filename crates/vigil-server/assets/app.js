// Vigil's page behaviour, delegated on document so it survives htmx swaps:
// copy buttons, the catalogue search and its vendor cards, the instances'
// context menu (right click or the ⋯ button; Edit, Connect again, Delete,
// Copy entire row), select-all boxes and the selected count, busy forms,
// and dialogs filled by htmx.
(function () {
  "use strict";

  function toast(text) {
    var box = document.getElementById("toast");
    if (!box) {
      box = document.createElement("div");
      box.id = "toast";
      box.className = "toast";
      box.setAttribute("role", "status");
      document.body.appendChild(box);
    }
    box.textContent = text;
    box.hidden = false;
    clearTimeout(box._timer);
    box._timer = setTimeout(function () { box.hidden = true; }, 2500);
  }

  function copy(text, what) {
    var done = function () { toast((what || "Text") + " copied to the clipboard"); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { fallbackCopy(text); done(); });
    } else {
      fallbackCopy(text);
      done();
    }
  }

  function fallbackCopy(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    try { document.execCommand("copy"); } catch (_) { /* nothing else to try */ }
    area.remove();
  }

  // The text of a table row's cells, tab-separated, without its action cell.
  function rowText(row) {
    var cells = Array.prototype.filter.call(row.cells, function (cell) {
      return !cell.hasAttribute("data-no-copy");
    });
    return cells.map(function (cell) {
      var text = cell.getAttribute("data-copy-value");
      if (text === null) text = cell.innerText;
      return text.replace(/\s+/g, " ").trim();
    }).join("\t");
  }

  var menuRow = null;
  var menuOpener = null;

  function menu() { return document.getElementById("row-menu"); }

  function openMenu(row, x, y, opener) {
    var box = menu();
    if (!box) return;
    closeMenu(false);
    menuRow = row;
    menuOpener = opener || null;
    row.classList.add("selected-row");
    box.hidden = false;
    var width = box.offsetWidth, height = box.offsetHeight;
    box.style.left = Math.max(4, Math.min(x, window.innerWidth - width - 4)) + "px";
    box.style.top = Math.max(4, Math.min(y, window.innerHeight - height - 4)) + "px";
    var first = box.querySelector("button");
    if (first) first.focus();
  }

  function closeMenu(restoreFocus) {
    var box = menu();
    if (box) box.hidden = true;
    if (menuRow) menuRow.classList.remove("selected-row");
    if (restoreFocus && menuOpener) menuOpener.focus();
    menuRow = null;
  }

  document.addEventListener("contextmenu", function (event) {
    var row = event.target.closest("tr[data-row]");
    if (!row) return;
    event.preventDefault();
    openMenu(row, event.clientX, event.clientY, row.querySelector(".kebab"));
  });

  document.addEventListener("click", function (event) {
    var kebab = event.target.closest(".kebab");
    if (kebab) {
      var rect = kebab.getBoundingClientRect();
      openMenu(kebab.closest("tr[data-row]"), rect.left - 160, rect.bottom + 4, kebab);
      event.stopPropagation();
      return;
    }
    var item = event.target.closest("#row-menu button[data-action]");
    if (item && menuRow) {
      var row = menuRow, action = item.getAttribute("data-action");
      closeMenu(action !== "delete");
      if (action === "copy") copy(rowText(row), "Row");
      if (action === "edit") window.location.assign(row.getAttribute("data-edit"));
      if (action === "reconnect") window.location.assign(row.getAttribute("data-reconnect"));
      if (action === "delete" && window.htmx) {
        htmx.ajax("GET", row.getAttribute("data-delete"), { target: "#dialog", swap: "innerHTML" });
      }
      return;
    }
    if (!event.target.closest("#row-menu")) closeMenu(false);
    var button = event.target.closest("[data-copy]");
    if (button) {
      var source = button.getAttribute("data-copy");
      var field = source.charAt(0) === "#" ? document.querySelector(source) : null;
      copy(field ? (field.value || field.textContent) : source, button.getAttribute("data-copy-what"));
    }
    var all = event.target.closest("[data-select-all]");
    if (all) {
      var name = all.getAttribute("data-select-all");
      document.querySelectorAll('input[type=checkbox][name="' + name + '"]:not([disabled])').forEach(function (box) {
        box.checked = all.checked;
      });
      recount(all.closest("form"));
    }
    // A vendor's card selects the vendor: the instances table shows its own.
    var card = event.target.closest(".vendor[data-href]");
    if (card && !event.target.closest("a, button")) window.location.assign(card.getAttribute("data-href"));
    var close = event.target.closest("[data-close-dialog]");
    if (close) {
      var dialog = close.closest("dialog");
      if (dialog) dialog.close();
    }
  });

  document.addEventListener("keydown", function (event) {
    var box = menu();
    if (!box || box.hidden) return;
    var items = Array.prototype.slice.call(box.querySelectorAll("button"));
    var index = items.indexOf(document.activeElement);
    if (event.key === "Escape") { event.preventDefault(); closeMenu(true); }
    if (event.key === "ArrowDown") { event.preventDefault(); items[(index + 1) % items.length].focus(); }
    if (event.key === "ArrowUp") { event.preventDefault(); items[(index - 1 + items.length) % items.length].focus(); }
    if (event.key === "Tab") closeMenu(false);
  });

  document.addEventListener("input", function (event) {
    if (event.target.id !== "vendor-search") return;
    var needle = event.target.value.trim().toLowerCase();
    var shown = 0;
    document.querySelectorAll(".vendor").forEach(function (card) {
      var match = card.getAttribute("data-name").indexOf(needle) !== -1;
      card.hidden = !match;
      if (match) shown += 1;
    });
    var none = document.getElementById("vendor-none");
    if (none) none.hidden = shown !== 0;
  });

  // Select Repositories: "N of M selected" follows the ticks (those on
  // other pages travel as hidden fields).
  function recount(form) {
    var out = form && form.querySelector("[data-selected-count]");
    if (!out) return;
    var carried = form.querySelectorAll('input[type=hidden][name="project_ids"]').length;
    var ticked = form.querySelectorAll('input[type=checkbox][name="project_ids"]:checked').length;
    out.textContent = String(carried + ticked);
  }

  document.addEventListener("change", function (event) {
    if (event.target.name === "project_ids") recount(event.target.closest("form"));
  });

  // A form that waits on GitLab (form[data-busy]) shows that it works: the
  // button says what it does and is disabled, the form is aria-busy, and
  // the previous error goes. The server bounds the wait and names a
  // timeout; should the page itself get no answer, it says so too.
  function busy(form, button) {
    form.setAttribute("aria-busy", "true");
    var old = document.getElementById("step-error");
    if (old) old.remove();
    form.querySelectorAll("[aria-invalid]").forEach(function (field) {
      field.removeAttribute("aria-invalid");
      field.removeAttribute("aria-describedby");
    });
    if (button) {
      button.setAttribute("data-label", button.textContent);
      button.textContent = form.getAttribute("data-busy");
      // After the submit has collected the form, or it would drop the button.
      setTimeout(function () { button.disabled = true; }, 0);
    }
  }

  function idle(form, message) {
    form.removeAttribute("aria-busy");
    var button = form.querySelector("button[data-label]");
    if (button) {
      button.textContent = button.getAttribute("data-label");
      button.removeAttribute("data-label");
      button.disabled = false;
    }
    if (message) {
      var box = document.createElement("div");
      box.className = "alert error";
      box.id = "step-error";
      box.setAttribute("role", "alert");
      box.textContent = message;
      form.parentNode.insertBefore(box, form);
    }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-busy]");
    if (form) busy(form, event.submitter || form.querySelector('button[type="submit"], button:not([type])'));
  });

  ["htmx:timeout", "htmx:sendError"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      var form = event.target.closest && event.target.closest("form[data-busy]");
      if (form) idle(form, "Vigil's server did not answer in time; check that it runs and try again.");
    });
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target && target.tagName === "DIALOG" && !target.open) target.showModal();
  });
})();
