"""AICC packages generated in code for the demo marketplace and the tests: each course is a real
CMI001 package (.crs, .au, .des, .cst) whose one AU, an HTML page of our own, does GetParam on load,
offers buttons to complete, pass or fail (PutParam) and to exit (ExitAU), against the aicc_url the
learner's LMS passed through the launch."""

from __future__ import annotations

import html
import io
import zipfile

AU_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>__TITLE__</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 42rem; margin: 2rem auto; padding: 0 1rem; color: #1f2933; }
button { font: inherit; padding: .5rem .9rem; margin: .25rem .25rem .25rem 0; border-radius: .4rem;
  border: 1px solid #52606d; background: #fff; cursor: pointer; }
button.primary { background: #153e35; border-color: #153e35; color: #fff; }
#log { background: #f5f7fa; border-radius: .4rem; padding: .75rem; white-space: pre-wrap; font-size: .85rem; }
</style>
</head>
<body>
<h1>__TITLE__</h1>
<p class="publisher">By __PUBLISHER__</p>
<p>__DESCRIPTION__</p>
<p id="status">Connecting to your learning platform…</p>
<div>
  <button type="button" data-status="completed">Complete</button>
  <button type="button" data-status="passed" data-score="90">Pass (90)</button>
  <button type="button" data-status="failed" data-score="30">Fail (30)</button>
  <button type="button" class="primary" id="exit">Exit</button>
</div>
<h2>What the learning platform answered</h2>
<div id="log"></div>
<script>
(function () {
  "use strict";
  var started = new Date().getTime(), query = {}, exited = false;
  window.location.search.substring(1).split("&").forEach(function (pair) {
    if (!pair) { return; }
    var parts = pair.split("=");
    query[decodeURIComponent(parts[0]).toLowerCase()] = decodeURIComponent((parts[1] || "").replace(/\\+/g, " "));
  });
  var sid = query.aicc_sid, url = query.aicc_url;
  var statusLine = document.getElementById("status"), log = document.getElementById("log");
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function sessionTime() {
    var s = Math.round((new Date().getTime() - started) / 1000);
    return pad(Math.floor(s / 3600)) + ":" + pad(Math.floor(s / 60) % 60) + ":" + pad(s % 60);
  }
  function hacp(command, data, done) {
    var xhr = new XMLHttpRequest();
    xhr.open("POST", url, true);
    xhr.setRequestHeader("Content-Type", "application/x-www-form-urlencoded");
    xhr.onload = function () {
      log.textContent = command + "\\n" + xhr.responseText;
      if (done) { done(xhr.responseText); }
    };
    xhr.onerror = function () { statusLine.textContent = "Your learning platform could not be reached."; };
    xhr.send("command=" + command + "&version=3.5&session_id=" + encodeURIComponent(sid) +
             "&aicc_data=" + encodeURIComponent(data || ""));
  }
  function field(text, name) {
    var match = new RegExp("^" + name + "\\\\s*=\\\\s*(.*)$", "im").exec(text);
    return match ? match[1].trim() : "";
  }
  if (!sid || !url) {
    statusLine.textContent = "Open this course from your learning platform: the page needs aicc_sid and aicc_url.";
    return;
  }
  hacp("GetParam", "", function (text) {
    statusLine.textContent = "Welcome " + (field(text, "Student_Name") || "") + " · status: " +
      (field(text, "Lesson_Status") || "not attempted");
  });
  Array.prototype.forEach.call(document.querySelectorAll("button[data-status]"), function (button) {
    button.addEventListener("click", function () {
      var score = button.getAttribute("data-score") || "";
      var data = "[Core]\\r\\nLesson_Location=end\\r\\nLesson_Status=" + button.getAttribute("data-status") +
        "\\r\\nScore=" + score + "\\r\\nTime=" + sessionTime() + "\\r\\n";
      hacp("PutParam", data, function () {
        statusLine.textContent = "Saved: " + button.getAttribute("data-status") + (score ? " with " + score : "") + ".";
      });
    });
  });
  document.getElementById("exit").addEventListener("click", function () {
    if (exited) { return; }
    hacp("PutParam", "[Core]\\r\\nTime=" + sessionTime() + "\\r\\n", function () {
      hacp("ExitAU", "", function () { exited = true; statusLine.textContent = "You have left the course."; });
    });
  });
}());
</script>
</body>
</html>
"""


def _quoted(value: str) -> str:
    return '"' + value.replace('"', "'") + '"'


def aicc_course_zip(*, course_id: str, title: str, description: str = "", publisher: str = "") -> bytes:
    """A one-AU AICC package; the .crs and tables use CRLF like real course files."""
    one_line = " ".join(title.split())
    page = (AU_PAGE.replace("__TITLE__", html.escape(one_line)).replace("__PUBLISHER__", html.escape(publisher))
            .replace("__DESCRIPTION__", html.escape(description)))
    files = {
        "course.crs": (
            "[Course]\r\nCourse_Creator=coursebridge marketplace demo\r\n"
            f"Course_ID={course_id}\r\nCourse_System=HTML\r\nCourse_Title={one_line}\r\nLevel=1\r\n"
            "Max_Fields_CST=2\r\nTotal_AUs=1\r\nTotal_Blocks=0\r\nVersion=4.0\r\n"
            "[Course_Behavior]\r\nMax_Normal=1\r\n[Course_Description]\r\n"
            f"{' '.join(description.split()) or one_line}\r\n"
        ),
        "course.au": (
            '"System_ID","Type","Command_Line","File_Name","Max_Score","Mastery_Score","Max_Time_Allowed",'
            '"Time_Limit_Action","System_Vendor","Core_Vendor","Web_Launch","AU_Password"\r\n'
            '"A1","html","","index.html","100","70","","","","","",""\r\n'
        ),
        "course.des": (
            f'"System_ID","Developer_ID","Title","Description"\r\n"A1","{course_id}",{_quoted(one_line)},""\r\n'
        ),
        "course.cst": '"Block","Member"\r\n"ROOT","A1"\r\n',
        "index.html": page,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()
