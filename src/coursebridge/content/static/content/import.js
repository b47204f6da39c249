/* The package upload: sends the form with XMLHttpRequest to show how much of the file has gone, then
   follows the server's answer (the course page, the duplicate question, or the form with its errors).
   Without this script the form posts normally. */
(function () {
  "use strict";

  function megabytes(bytes) {
    return (bytes / 1048576).toFixed(bytes < 10485760 ? 1 : 0) + " MB";
  }

  function bind(card) {
    var form = card && card.querySelector("form[data-upload]");
    if (!form || !window.FormData || !window.XMLHttpRequest) {
      return;
    }
    form.addEventListener("submit", function (event) {
      var input = form.querySelector("input[type=file]");
      if (!input || !input.files.length) {
        return; /* the server says which field is missing */
      }
      event.preventDefault();
      var box = form.querySelector("[data-progress]");
      var bar = box.querySelector("progress");
      var label = form.querySelector("[data-progress-label]");
      var problem = form.querySelector("[data-upload-error]");
      var button = form.querySelector("button[type=submit]");

      function fail(text) {
        box.hidden = true;
        problem.textContent = text;
        problem.hidden = false;
        button.disabled = false;
      }

      problem.hidden = true;
      box.hidden = false;
      button.disabled = true;
      bar.value = 0;
      label.textContent = "Uploading " + input.files[0].name + "…";

      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) {
          var percent = Math.floor((e.loaded * 100) / e.total);
          bar.value = percent;
          bar.textContent = percent + "%";
          label.textContent = percent + "% of " + megabytes(e.total) + " uploaded";
        }
      });
      xhr.upload.addEventListener("load", function () {
        bar.value = 100;
        label.textContent = "Uploaded. Checking and importing the package…";
      });
      xhr.addEventListener("load", function () {
        var type = xhr.getResponseHeader("Content-Type") || "";
        if (type.indexOf("application/json") === 0) {
          var answer = JSON.parse(xhr.responseText);
          if (answer.redirect) {
            window.location.assign(answer.redirect);
            return;
          }
        }
        if ((xhr.status === 200 || xhr.status === 400) && type.indexOf("text/html") === 0) {
          var holder = document.createElement("div");
          holder.innerHTML = xhr.responseText;
          var next = holder.querySelector("#package-import");
          if (next) {
            card.replaceWith(next);
            bind(next);
            var focus = next.querySelector("[role=alert], .alert, h1");
            if (focus) {
              focus.setAttribute("tabindex", "-1");
              focus.focus();
            }
            return;
          }
        }
        fail(xhr.status === 413 ? "The file is larger than the server accepts."
          : "The import did not finish (the server answered " + xhr.status + "). Try again.");
      });
      xhr.addEventListener("error", function () {
        fail("The upload stopped: the connection to the server was lost. Try again.");
      });
      xhr.send(new FormData(form));
    });
  }

  bind(document.getElementById("package-import"));
}());
