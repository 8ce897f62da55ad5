// The street's ledger grid: keyboard movement, pasting blocks from Excel/WPS, co-location
// ticks, showing the server's 409/422 answers in place, and what is saved. Sending a row
// is htmx's job; this script keeps count of what has not been saved and says so.
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
          cell.value = value.trim(); // 1,082.2 and 66.8㎡ are read by the server
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
      area.tabIndex = -1; // Tab skips a cell that cannot be typed in
    } else {
      area.readOnly = false;
      area.removeAttribute("tabindex");
    }
  }, true);

  // ---------------------------------------------------------------- what is saved
  // A cell is unsaved while what it shows differs from what the server last stored for
  // it (the input's default value, which each save's answer moves on). Each row says
  // 保存中…, 已保存 hh:mm or 未保存 with the reason; the page counts unsaved cells and
  // warns before it is left with any.
  const trackedSelector =
    "input.grid-input:not([readonly]), input[type=checkbox][data-area], input.comment-input";

  function isUnsaved(input) {
    return input.type === "checkbox"
      ? input.checked !== input.defaultChecked
      : input.value !== input.defaultValue;
  }

  function unsavedInputs() {
    const table = grid();
    return table ? Array.from(table.querySelectorAll(trackedSelector)).filter(isUnsaved) : [];
  }

  function countUnsaved() {
    const counter = document.getElementById("unsaved-count");
    if (!counter) return;
    const count = unsavedInputs().length;
    counter.hidden = count === 0;
    counter.textContent = count ? `有 ${count} 个单元格尚未保存` : "";
  }

  function rowState(body, kind, text, reason) {
    const state = body.querySelector(".row-state");
    if (!state) return;
    state.className = `row-state row-state-${kind}`;
    state.textContent = text;
    state.title = reason || "";
    if (kind === "failed") {
      const retry = document.createElement("button");
      retry.type = "button";
      retry.className = "btn btn-link btn-sm p-0 ms-1 row-retry";
      retry.textContent = "重试";
      retry.addEventListener("click", () => htmx.trigger(body, "change"));
      state.appendChild(retry);
    }
  }

  const isRowSave = (event) =>
    event.detail.elt && event.detail.elt.matches && event.detail.elt.matches("tbody.grid-row");

  // What each row sent, to tell after the answer whether a cell was typed on meanwhile.
  const sent = new WeakMap();

  document.addEventListener("htmx:configRequest", (event) => {
    if (!isRowSave(event)) return;
    sent.set(event.detail.elt, Object.fromEntries(event.detail.formData));
    rowState(event.detail.elt, "saving", "保存中…");
  });

  function takeStored(body, outcome) {
    const posted = sent.get(body) || {};
    body.querySelectorAll(trackedSelector).forEach((input) => {
      const refused = outcome.refused[input.name];
      input.closest("td") && input.closest("td").classList.toggle("cell-unsaved", Boolean(refused));
      if (refused) {
        input.setAttribute("aria-invalid", "true");
        return; // stays unsaved: what it shows was not stored
      }
      input.removeAttribute("aria-invalid");
      if (!(input.name in outcome.stored)) return; // a comment box: its own notes answer it
      const stored = outcome.stored[input.name];
      if (input.type === "checkbox") {
        input.defaultChecked = stored === true;
        return;
      }
      // Typed on since it was sent: another save follows; the cell stays unsaved till then.
      if ((posted[input.name] ?? "") !== input.value) {
        input.defaultValue = stored;
        return;
      }
      // Shown as stored (1,082.2 as 1082.2). The cell Tab has just moved into keeps its
      // whole text selected, as Tab left it, so that typing still replaces it.
      const selectedWhole =
        document.activeElement === input &&
        input.selectionStart === 0 && input.selectionEnd === input.value.length;
      input.defaultValue = stored;
      input.value = stored;
      if (selectedWhole) input.select();
    });
  }

  document.body.addEventListener("rowSaved", (event) => {
    const body = event.target.closest ? event.target.closest("tbody.grid-row") : null;
    if (!body) return;
    const outcome = event.detail;
    const version = document.getElementById(`version-${body.dataset.row}`);
    if (version && outcome.saved) version.value = outcome.version;
    const reasons = Object.values(outcome.refused);
    if (!outcome.saved) {
      rowState(body, "failed", "未保存", reasons.join("；"));
      window.shequSaveAlert(`row-${body.dataset.row}`, `${rowName(body)}：${reasons.join("；")}（未保存）`);
      countUnsaved();
      return;
    }
    takeStored(body, outcome);
    window.shequSaveAlert(`row-${body.dataset.row}`, "");
    if (reasons.length) {
      rowState(body, "refused", `${reasons.length} 项未保存`, reasons.join("；"));
    } else {
      rowState(body, "saved", `已保存 ${outcome.at}`);
    }
    countUnsaved();
  });

  function rowName(body) {
    const link = body.querySelector(".name-cell a");
    return link ? link.textContent.trim() : "";
  }

  // Every other answer: a stale row (409, its two versions shown under the row), an
  // expired session (401, the sign-in dialog opens), a server or network failure.
  document.addEventListener("htmx:afterRequest", (event) => {
    if (!isRowSave(event)) return;
    const body = event.detail.elt;
    const xhr = event.detail.xhr;
    const status = xhr ? xhr.status : 0;
    if (status === 200 || status === 422) return; // rowSaved has said it
    let reason;
    if (status === 409) return; // rowConflict says what is left to choose
    else if (status === 401) reason = "登录已过期，重新登录后将自动保存";
    else if (status === 403 || status === 404) reason = "您没有修改这一行的权限";
    else if (status === 0) reason = "网络连接失败，数据没有送到服务器";
    else reason = `服务器出错（${status}），数据没有保存`;
    rowState(body, "failed", "未保存", reason);
    if (status !== 401 && status !== 409) {
      window.shequSaveAlert(`row-${body.dataset.row}`, `${rowName(body)}：${reason}。请稍后点“重试”。`);
    }
    countUnsaved();
  });

  // ---------------------------------------------------------------- a conflict (409)
  // Someone else saved the row meanwhile. Every cell this user did not touch takes the
  // stored value; each cell both changed waits for 保留我的 / 用对方的; once none waits,
  // the row is saved against the current version, nothing retyped.
  function inputNamed(body, name) {
    return body.querySelector(`[name="${CSS.escape(name)}"]`);
  }

  function takeValue(input, value) {
    if (input.type === "checkbox") {
      input.checked = input.defaultChecked = value === true || value === "True";
      return;
    }
    input.value = input.defaultValue = value;
  }

  function conflictsLeft(body) {
    const notes = document.getElementById(`notes-${body.dataset.row}`);
    return notes ? Array.from(notes.querySelectorAll("tr[data-conflict-field]")) : [];
  }

  function saveWhenResolved(body) {
    if (conflictsLeft(body).length) {
      rowState(body, "refused", "未保存：请选择", "有与他人修改冲突的单元格，请在下方逐项选择");
      return;
    }
    const version = document.getElementById(`version-${body.dataset.row}`);
    if (version && body.dataset.conflictVersion) version.value = body.dataset.conflictVersion;
    delete body.dataset.conflictVersion;
    const notice = document.querySelector(`#notes-${body.dataset.row} [data-testid=conflict]`);
    if (notice) notice.remove();
    if (unsavedInputs().some((input) => body.contains(input))) htmx.trigger(body, "change");
    else rowState(body, "saved", "已换成对方保存的数值");
    countUnsaved();
  }

  document.body.addEventListener("rowConflict", (event) => {
    const body = event.target.closest ? event.target.closest("tbody.grid-row") : null;
    if (!body) return;
    const conflict = event.detail;
    body.dataset.conflictVersion = conflict.version;
    // What the page loaded (the inputs' default values) tells who changed what: a cell
    // only this user changed keeps its value, one only the other side changed takes theirs.
    const asLoaded = (input) => (input.type === "checkbox" ? input.defaultChecked : input.defaultValue);
    const theyChanged = (input) => {
      const stored = conflict.stored[input.name];
      return input.type === "checkbox"
        ? (stored === true) !== input.defaultChecked
        : stored !== asLoaded(input);
    };
    const sameAsStored = (input) => {
      const stored = conflict.stored[input.name];
      return input.type === "checkbox" ? (stored === true) === input.checked : stored === input.value;
    };
    conflictsLeft(body).forEach((line) => {
      const input = inputNamed(body, line.dataset.conflictField);
      if (input && isUnsaved(input) && theyChanged(input) && !sameAsStored(input)) return;
      line.remove(); // one side changed it, or both alike: nothing to choose
    });
    body.querySelectorAll(trackedSelector).forEach((input) => {
      if (!(input.name in conflict.stored)) return;
      if (!isUnsaved(input) || sameAsStored(input)) takeValue(input, conflict.stored[input.name]);
      else if (!theyChanged(input)) {
        // Still this user's change, now against the stored row: the default moves on.
        if (input.type === "checkbox") input.defaultChecked = conflict.stored[input.name] === true;
        else input.defaultValue = conflict.stored[input.name];
      }
    });
    saveWhenResolved(body);
  });

  document.addEventListener("click", (event) => {
    const choice = event.target.closest ? event.target.closest("[data-keep]") : null;
    const line = choice && choice.closest("tr[data-conflict-field]");
    const notes = line && line.closest("tr.findings-row");
    const body = notes && notes.closest("tbody.grid-row");
    if (!body) return;
    if (choice.dataset.keep === "stored") {
      takeValue(inputNamed(body, line.dataset.conflictField), choice.dataset.value);
    }
    line.remove();
    saveWhenResolved(body);
  });

  // Signed in again: send every row that still holds unsaved input, as typed.
  document.addEventListener("shequ:signed-in", () => {
    const rows = new Set(unsavedInputs().map((input) => input.closest("tbody.grid-row")));
    rows.forEach((body) => body && htmx.trigger(body, "change"));
  });

  document.addEventListener("input", (event) => {
    if (event.target.matches && event.target.matches(trackedSelector)) countUnsaved();
  });
  document.addEventListener("change", (event) => {
    if (event.target.matches && event.target.matches(trackedSelector)) countUnsaved();
  });

  window.addEventListener("beforeunload", (event) => {
    if (unsavedInputs().length === 0) return;
    event.preventDefault();
    event.returnValue = ""; // the browser asks whether to leave; its words, not ours
  });
})();
