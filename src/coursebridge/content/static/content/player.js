/* The player page around the unit's frame.

   Leaving a unit from the page (contents, previous, next, exit) first empties the frame, so the
   content's own unload handlers run (most call LMSFinish / Terminate there) while this page, which
   holds the runtime API, is still alive; once the runtime has sent what is pending, the page goes
   where the learner asked (after three seconds at most). The page also says whether progress is
   saved and shows the unit's new status in the contents after each commit. */
(function () {
  "use strict";

  var player = document.querySelector("[data-player]");
  if (!player) {
    return;
  }
  var frame = player.querySelector(".player-frame");
  var saveStatus = player.querySelector("[data-save-status]");
  var leaving = false;
  var ended = "";

  function leave(url) {
    if (leaving) {
      return;
    }
    leaving = true;
    var gone = false;
    function go() {
      if (!gone) {
        gone = true;
        window.location.href = url;
      }
    }
    window.setTimeout(go, 3000);
    frame.addEventListener("load", function () {
      var runtime = window.CoursebridgeRuntime;
      (runtime ? runtime.flush() : Promise.resolve()).then(go, go);
    }, { once: true });
    frame.src = "about:blank";
  }

  player.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-leave]");
    if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey ||
        event.shiftKey || event.altKey) {
      return;
    }
    event.preventDefault();
    leave(link.href);
  });

  function say(message, isError) {
    saveStatus.textContent = message;
    saveStatus.classList.toggle("error", Boolean(isError));
  }

  document.addEventListener("scorm:saving", function () {
    say("Saving your progress…", false);
  });
  document.addEventListener("scorm:saved", function (event) {
    var unit = event.detail.unit;
    say(("Progress saved. " + ended).trim(), false);
    if (!unit) {
      return;
    }
    var row = player.querySelector('.toc-unit[data-unit="' + unit.id + '"] [data-status]');
    if (row) {
      row.textContent = unit.label;
      row.className = "pill status-" + unit.status.replace(/\s+/g, "-");
    }
  });
  document.addEventListener("scorm:error", function (event) {
    var error = event.detail.error || {};
    say("Your progress could not be saved: " + (error.message || "the server did not answer."), true);
  });
  document.addEventListener("scorm:terminated", function () {
    var next = player.querySelector("a[rel=next]");
    ended = next ? "This unit has ended. Continue with Next." : "This unit has ended.";
    say(ended, false);
  });
})();
