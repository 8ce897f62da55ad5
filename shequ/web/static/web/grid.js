// The street's ledger grid: keyboard movement, pasting blocks from Excel/WPS, co-location
// ticks, and showing the server's 409/422 answers in place. Saving itself is htmx's job.
(function () {
  "use strict";

  // htmx 2 does not swap error responses by default; a stale row (409) and a refused value
  // (422) come back as HTML to show in place of the row.
  htmx.config.responseHandling = [
    { code: "204", swap: false },
    { code: "[23]..", swap: true },
    { code: "409", swap: true, error: false },
    { code: "422", swap: true, error: false },
    { code: "[45]..", swap: false, error: true },
  ];

  const grid = () => document.getElementById("ledger-grid");
  const editableInputs = () =>
    Array.from(grid().querySelectorAll("input.grid-input:not([readonly])"));

  function inputAt(rowBody, column) {
    return rowBody && rowBody.querySelector(`input.grid-input[data-col="${column}"]`);
  }

  function nextRowBody(body, step) {
    const rows = Array.from(grid().querySelectorAll("tbody.grid-row"));
    return rows[rows.indexOf(body) + step];
  }

  // Enter moves down the column, as in Excel; Shift+Enter moves up. Tab works natively.
  document.addEventListener("keydown", (event) => {
    const input = event.target;
    if (event.key !== "Enter" || !input.classList || !input.classList.contains("grid-input")) return;
    event.preventDefault();
    input.dispatchEvent(new Event("change", { bubbles: true }));
    const body = input.closest("tbody.grid-row");
    const column = input.dataset.col;
    let target = nextRowBody(body, event.shiftKey ? -1 : 1);
    while (target && !(inputAt(target, column) && !inputAt(target, column).readOnly)) {
      target = nextRowBody(target, event.shiftKey ? -1 : 1);
    }
    if (target) inputAt(target, column).focus();
  });

  // A block copied from Excel/WPS arrives as lines of tab-separated cells: fill the cells it
  // covers, starting at the focused one, then save each row it touched.
  document.addEventListener("paste", (event) => {
    const start = event.target;
    if (!start.classList || !start.classList.contains("grid-input") || start.dataset.col === undefined) return;
    const text = (event.clipboardData || window.clipboardData).getData("text");
    if (!/[\t\n]/.test(text.trim())) return;
    event.preventDefault();
    const lines = text.replace(/\r/g, "").replace(/\n$/, "").split("\n");
    let body = start.closest("tbody.grid-row");
    const firstColumn = Number(start.dataset.col);
    const touched = new Set();
    for (const line of lines) {
      if (!body) break;
      line.split("\t").forEach((value, offset) => {
        const cell = inputAt(body, firstColumn + offset);
        if (cell && !cell.readOnly) {
          cell.value = value.trim().replace(/,/g, "");
          touched.add(body);
        }
      });
      body = nextRowBody(body, 1);
    }
    touched.forEach((rowBody) => htmx.trigger(rowBody, "change"));
  });

  // A save's answer replaces the row's notes (warnings and their comment boxes). Keep what
  // is being typed in a comment box meanwhile, and keep the cursor in it.
  document.addEventListener("htmx:oobBeforeSwap", (event) => {
    const target = event.detail.target;
    if (!target || !target.classList.contains("findings-row")) return;
    const focused = document.activeElement;
    const incoming = event.detail.fragment;
    target.querySelectorAll("input.comment-input").forEach((old) => {
      const fresh = incoming.querySelector ? incoming.querySelector(`#${CSS.escape(old.id)}`) : null;
      if (!fresh) return;
      // Typed but not saved yet: the fresh box never saw the typing, so it would not fire
      // `change` when the cursor leaves; remember to fire it then.
      if (fresh.value !== old.value) fresh.dataset.unsaved = "1";
      fresh.value = old.value;
    });
    if (focused && target.contains(focused) && focused.id) {
      requestAnimationFrame(() => {
        const again = document.getElementById(focused.id);
        if (again) { again.focus(); again.setSelectionRange(again.value.length, again.value.length); }
      });
    }
  });

  document.addEventListener("focusout", (event) => {
    const box = event.target;
    if (!box.dataset || box.dataset.unsaved !== "1") return;
    delete box.dataset.unsaved;
    box.dispatchEvent(new Event("change", { bubbles: true }));
  });

  // Ticking 设在便民服务中心 clears and locks the facility's area; unticking unlocks it.
  document.addEventListener("change", (event) => {
    const box = event.target;
    if (!box.dataset || !box.dataset.area) return;
    const area = box.closest("td").querySelector("input.grid-input");
    if (box.checked) {
      area.value = "";
      area.readOnly = true;
    } else {
      area.readOnly = false;
    }
  }, true);
})();
