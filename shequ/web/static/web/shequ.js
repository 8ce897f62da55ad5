/* Behaviour every page shares, kept out of the HTML so that the content-security policy
   can forbid inline scripts: pickers that apply at once, and confirmations. */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.hasAttribute && field.hasAttribute("data-autosubmit") && field.form) {
      field.form.submit();
    }
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-confirm]") : null;
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });
  // A community's form: ticking 设在便民服务中心 clears and locks the facility's area, as
  // the grid does (web/grid.js for the grid's cells).
  document.addEventListener("change", function (event) {
    var box = event.target;
    var area = box.dataset && box.dataset.area && document.getElementById("f-" + box.dataset.area);
    if (!area) {
      return;
    }
    if (box.checked) {
      area.value = "";
    }
    area.readOnly = box.checked;
  });
  // A region that scrolls (a wide table on a phone, a long list) can be scrolled from the
  // keyboard too: it takes the focus when it has nothing focusable of its own.
  function scrollableByKeyboard() {
    document.querySelectorAll("main .card, main .card-body, .scroll-panel").forEach(function (region) {
      var scrolls = region.scrollWidth > region.clientWidth + 1 || region.scrollHeight > region.clientHeight + 1;
      var scrollStyle = getComputedStyle(region);
      var canScroll = /auto|scroll/.test(scrollStyle.overflowX + scrollStyle.overflowY);
      var focusable = region.querySelector("a[href], button, input, select, textarea, [tabindex]");
      if (scrolls && canScroll && !focusable) {
        region.tabIndex = 0;
      } else if (region.getAttribute("tabindex") === "0" && !scrolls) {
        region.removeAttribute("tabindex");
      }
    });
  }
  document.addEventListener("DOMContentLoaded", scrollableByKeyboard);
  window.addEventListener("resize", scrollableByKeyboard);
  // A problem in a list leads to its cell: scrolled to, the cell itself focused.
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[data-focus]") : null;
    var target = link && document.getElementById(link.getAttribute("data-focus"));
    if (!target) {
      return;
    }
    event.preventDefault();
    target.scrollIntoView({ block: "center" });
    if (target.focus) {
      target.focus();
    }
  });
  // A button that must not be pressed while another field holds text (审核通过 while a
  // return reason is typed): disabled, saying why, until the field is emptied.
  function followFilled() {
    document.querySelectorAll("[data-off-while-filled]").forEach(function (button) {
      var field = document.getElementById(button.getAttribute("data-off-while-filled"));
      var filled = Boolean(field && field.value.trim());
      button.disabled = filled;
      button.title = filled ? button.getAttribute("data-off-title") : "";
    });
  }
  document.addEventListener("input", followFilled);
  document.addEventListener("DOMContentLoaded", followFilled);
  // A save made with htmx while the database is unreachable answers 503, which htmx does
  // not show: say so at the top of the page, in the server's words, so nobody believes
  // the change was kept.
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail && event.detail.xhr;
    if (!xhr || xhr.status !== 503) {
      return;
    }
    var answer = new DOMParser().parseFromString(xhr.responseText, "text/html");
    var message = answer.querySelector("[data-message]");
    var old = document.getElementById("database-unavailable");
    if (old) {
      old.remove();
    }
    var alert = document.createElement("div");
    alert.id = "database-unavailable";
    alert.className = "alert alert-warning shadow position-fixed top-0 start-50 translate-middle-x mt-2";
    alert.style.zIndex = "2000";
    alert.setAttribute("role", "alert");
    alert.textContent = message ? message.textContent : "数据库暂时无法连接，请稍后重试。";
    document.body.appendChild(alert);
  });
  // A background request answered 401: the session ended while the page was open
  // (web/sessions.py). Sign in again in a dialog; the page's inputs keep what was typed,
  // and "shequ:signed-in" tells the page to send it again.
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail && event.detail.xhr;
    if (xhr && xhr.status === 401) {
      askToSignIn();
    }
  });

  function askToSignIn() {
    var dialog = document.getElementById("relogin");
    if (!dialog || dialog.classList.contains("show")) {
      return;
    }
    document.getElementById("relogin-error").textContent = "";
    bootstrap.Modal.getOrCreateInstance(dialog).show();
    dialog.addEventListener("shown.bs.modal", function () {
      document.getElementById("relogin-password").focus();
    }, { once: true });
  }

  function useToken(token) {
    document.body.setAttribute("hx-headers", JSON.stringify({ "X-CSRFToken": token }));
    document.querySelectorAll("input[name=csrfmiddlewaretoken]").forEach(function (input) {
      input.value = token;
    });
  }

  function answerOf(response) {
    var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
    return json ? response.json() : Promise.resolve({
      error: response.status === 429 || response.status === 403
        ? "登录失败次数过多，账号已暂时锁定，请稍后再试"
        : "登录未成功（服务器回答 " + response.status + "），请稍后再试",
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.id !== "relogin-form") {
      return;
    }
    event.preventDefault();
    var address = document.body.dataset.relogin;
    var error = document.getElementById("relogin-error");
    error.textContent = "";
    fetch(address, { credentials: "same-origin" })
      .then(answerOf)
      .then(function (fresh) {
        return fetch(address, {
          method: "POST",
          credentials: "same-origin",
          headers: { "X-CSRFToken": fresh.csrf },
          body: new FormData(form),
        });
      })
      .then(answerOf)
      .then(function (answer) {
        if (answer.error) {
          error.textContent = answer.error;
          return;
        }
        useToken(answer.csrf);
        form.reset();
        bootstrap.Modal.getOrCreateInstance(document.getElementById("relogin")).hide();
        document.dispatchEvent(new CustomEvent("shequ:signed-in"));
      })
      .catch(function () {
        error.textContent = "网络连接失败，请检查网络后再试";
      });
  });

  // A save that failed is said where the user looks: at the top of the screen, until it
  // is dismissed or a later save of the same thing gets through (`key`).
  window.shequSaveAlert = function (key, message) {
    var box = document.getElementById("save-alerts");
    if (!box) {
      return;
    }
    var old = box.querySelector('[data-key="' + CSS.escape(key) + '"]');
    if (old) {
      old.remove();
    }
    if (!message) {
      return;
    }
    var alert = document.createElement("div");
    alert.className = "alert alert-danger alert-dismissible shadow-sm py-2 mb-2";
    alert.dataset.key = key;
    alert.textContent = message;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "btn-close";
    close.setAttribute("aria-label", "关闭");
    close.addEventListener("click", function () { alert.remove(); });
    alert.appendChild(close);
    box.appendChild(alert);
  };

  // The next answer that gets through means the database is back.
  document.addEventListener("htmx:afterRequest", function (event) {
    var xhr = event.detail && event.detail.xhr;
    var old = document.getElementById("database-unavailable");
    if (old && xhr && xhr.status < 500) {
      old.remove();
    }
  });
})();
