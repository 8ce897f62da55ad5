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
  // The next answer that gets through means the database is back.
  document.addEventListener("htmx:afterRequest", function (event) {
    var xhr = event.detail && event.detail.xhr;
    var old = document.getElementById("database-unavailable");
    if (old && xhr && xhr.status < 500) {
      old.remove();
    }
  });
})();
