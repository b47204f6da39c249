"""Two small packages the demo imports, built here in code: an AICC course whose AU talks HACP to the
academy, and a SCORM 1.2 course whose SCO talks to the player's runtime API. Each page has buttons
to set a status and a score, so a newcomer can watch tracking reach the transcript."""

from __future__ import annotations

import io
import zipfile

AICC_COURSE_ID = "DEMO-AICC-101"
AICC_TITLE = "Fire Safety Basics (AICC)"
AICC_DESCRIPTION = (
    "A short AICC course: its page talks HACP to the academy (GetParam, PutParam, ExitAU). Mark it "
    "completed, passed or failed and watch the transcript."
)
SCORM_IDENTIFIER = "com.example.demo.scorm12.first-aid"
SCORM_TITLE = "First Aid Essentials (SCORM 1.2)"

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 42rem; margin: 2rem auto; padding: 0 1rem; color: #1f2933; }
h1 { font-size: 1.5rem; } button { font: inherit; padding: .5rem .9rem; margin: .25rem .25rem .25rem 0;
border-radius: .4rem; border: 1px solid #52606d; background: #fff; cursor: pointer; }
button.primary { background: #2251a5; border-color: #2251a5; color: #fff; }
#log { background: #f5f7fa; border-radius: .4rem; padding: .75rem; white-space: pre-wrap; font-size: .85rem; }
"""

AICC_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Fire Safety Basics</title>
<style>""" + _STYLE + """</style>
</head>
<body>
<h1>Fire Safety Basics</h1>
<p>Three things to remember: raise the alarm, leave by the nearest exit, never use the lifts.</p>
<p>This page is an AICC assignable unit. It talks to the academy over HACP.</p>
<p id="status">Connecting to the academy…</p>
<div>
  <button type="button" data-status="completed">Mark completed</button>
  <button type="button" data-status="passed" data-score="85">Pass with 85</button>
  <button type="button" data-status="failed" data-score="40">Fail with 40</button>
  <button type="button" class="primary" id="exit">Exit the course</button>
</div>
<h2>What the academy answered</h2>
<div id="log"></div>
<script>
(function () {
  "use strict";
  // Time is the time of this whole session: the academy adds it to the total when the session ends.
  var started = new Date().getTime();
  var query = {};
  window.location.search.substring(1).split("&").forEach(function (pair) {
    if (!pair) { return; }
    var parts = pair.split("=");
    query[decodeURIComponent(parts[0]).toLowerCase()] = decodeURIComponent((parts[1] || "").replace(/\\+/g, " "));
  });
  var sid = query.aicc_sid, url = query.aicc_url, exited = false;
  var statusLine = document.getElementById("status"), log = document.getElementById("log");

  function show(text) { log.textContent = text; }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function sessionTime() {
    var s = Math.round((new Date().getTime() - started) / 1000);
    return pad(Math.floor(s / 3600)) + ":" + pad(Math.floor(s / 60) % 60) + ":" + pad(s % 60);
  }
  function hacp(command, data, done) {
    var xhr = new XMLHttpRequest();
    xhr.open("POST", url, true);
    xhr.setRequestHeader("Content-Type", "application/x-www-form-urlencoded");
    xhr.onload = function () { show(command + "\\n" + xhr.responseText); if (done) { done(xhr.responseText); } };
    xhr.onerror = function () { statusLine.textContent = "The academy could not be reached."; };
    xhr.send("command=" + command + "&version=3.5&session_id=" + encodeURIComponent(sid) +
             "&aicc_data=" + encodeURIComponent(data || ""));
  }
  function field(text, name) {
    var match = new RegExp("^" + name + "\\\\s*=\\\\s*(.*)$", "im").exec(text);
    return match ? match[1].trim() : "";
  }
  if (!sid || !url) {
    statusLine.textContent = "Open this course from the academy: the page needs aicc_sid and aicc_url.";
    return;
  }
  hacp("GetParam", "", function (text) {
    statusLine.textContent = "Status: " + (field(text, "Lesson_Status") || "not attempted") +
      (field(text, "Score") ? " · score " + field(text, "Score") : "");
  });
  Array.prototype.forEach.call(document.querySelectorAll("button[data-status]"), function (button) {
    button.addEventListener("click", function () {
      var score = button.getAttribute("data-score") || "";
      var data = "[Core]\\r\\nLesson_Location=end\\r\\nLesson_Status=" + button.getAttribute("data-status") +
        "\\r\\nScore=" + (score ? score + ",100,0" : "") + "\\r\\nTime=" + sessionTime() +
        "\\r\\n[Core_Lesson]\\r\\nvisited=intro,rules\\r\\n";
      hacp("PutParam", data, function () {
        statusLine.textContent = "Saved: " + button.getAttribute("data-status") + (score ? " with " + score : "") + ".";
      });
    });
  });
  document.getElementById("exit").addEventListener("click", function () {
    if (exited) { return; }
    hacp("PutParam", "[Core]\\r\\nLesson_Location=end\\r\\nTime=" + sessionTime() + "\\r\\n", function () {
      hacp("ExitAU", "", function () {
        exited = true;
        statusLine.textContent = "You have left the course. You may close this page.";
      });
    });
  });
}());
</script>
</body>
</html>
"""

SCORM_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>First Aid Essentials</title>
<style>""" + _STYLE + """</style>
</head>
<body>
<h1>First Aid Essentials</h1>
<p>Check for danger, check for a response, call for help, then open the airway.</p>
<p>This page is a SCORM 1.2 SCO. It talks to the academy through the player's API.</p>
<p id="status">Looking for the player's API…</p>
<div>
  <button type="button" data-status="completed">Mark completed</button>
  <button type="button" data-status="passed" data-score="90">Pass with 90</button>
  <button type="button" data-status="failed" data-score="35">Fail with 35</button>
  <button type="button" class="primary" id="finish">Finish</button>
</div>
<h2>What the API answered</h2>
<div id="log"></div>
<script>
(function () {
  "use strict";
  var started = new Date().getTime(), finished = false;
  var statusLine = document.getElementById("status"), log = document.getElementById("log");

  function findAPI(win) {
    for (var tries = 0; win && tries < 10; tries += 1) {
      if (win.API) { return win.API; }
      if (win.parent === win) { break; }
      win = win.parent;
    }
    return null;
  }
  var api = findAPI(window) || (window.opener ? findAPI(window.opener) : null);
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function sessionTime() {
    var s = Math.round((new Date().getTime() - started) / 1000);
    return pad(Math.floor(s / 3600)) + ":" + pad(Math.floor(s / 60) % 60) + ":" + pad(s % 60);
  }
  function call(name, a, b) {
    var result = b === undefined ? api[name](a) : api[name](a, b);
    log.textContent += name + "(" + (a || "") + (b === undefined ? "" : ", " + b) + ") = " + result +
      " · error " + api.LMSGetLastError() + "\\n";
    return result;
  }
  // The time of this whole session: the academy adds it to the total once the session ends.
  function saveTime() { call("LMSSetValue", "cmi.core.session_time", sessionTime()); }
  function finish() {
    if (finished) { return; }
    finished = true;
    saveTime();
    call("LMSSetValue", "cmi.core.exit", "");
    call("LMSFinish", "");
    statusLine.textContent = "You have finished. You may close this page.";
  }
  if (!api) {
    statusLine.textContent = "Open this course from the academy: no SCORM API was found.";
    return;
  }
  call("LMSInitialize", "");
  var status = call("LMSGetValue", "cmi.core.lesson_status");
  if (status === "not attempted" || status === "") {
    call("LMSSetValue", "cmi.core.lesson_status", "incomplete");
    status = "incomplete";
  }
  statusLine.textContent = "Status: " + status + ". Welcome, " + call("LMSGetValue", "cmi.core.student_name") + ".";
  Array.prototype.forEach.call(document.querySelectorAll("button[data-status]"), function (button) {
    button.addEventListener("click", function () {
      var score = button.getAttribute("data-score");
      if (score) {
        call("LMSSetValue", "cmi.core.score.min", "0");
        call("LMSSetValue", "cmi.core.score.max", "100");
        call("LMSSetValue", "cmi.core.score.raw", score);
      }
      call("LMSSetValue", "cmi.core.lesson_status", button.getAttribute("data-status"));
      call("LMSSetValue", "cmi.core.lesson_location", "end");
      saveTime();
      call("LMSCommit", "");
      statusLine.textContent = "Saved: " + button.getAttribute("data-status") + (score ? " with " + score : "") + ".";
    });
  });
  document.getElementById("finish").addEventListener("click", finish);
  window.addEventListener("pagehide", finish);
}());
</script>
</body>
</html>
"""

SCORM_MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="{identifier}" version="1.0"
    xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
    xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata>
    <schema>ADL SCORM</schema>
    <schemaversion>1.2</schemaversion>
  </metadata>
  <organizations default="org-1">
    <organization identifier="org-1">
      <title>{title}</title>
      <item identifier="item-1" identifierref="res-1">
        <title>First Aid Essentials</title>
        <adlcp:masteryscore>80</adlcp:masteryscore>
      </item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="res-1" type="webcontent" adlcp:scormtype="sco" href="index.html">
      <file href="index.html"/>
    </resource>
  </resources>
</manifest>
"""


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text.replace("\n", "\r\n") if name.startswith("course.") else text)
    return buffer.getvalue()


def aicc_demo_zip() -> bytes:
    """An AICC CMI001 course: .crs, .au, .des and .cst, and one HTML AU that speaks HACP."""
    return _zip({
        "course.crs": (
            "[Course]\n"
            "Course_Creator=coursebridge demo\n"
            f"Course_ID={AICC_COURSE_ID}\n"
            "Course_System=HTML\n"
            f"Course_Title={AICC_TITLE}\n"
            "Level=1\n"
            "Max_Fields_CST=2\n"
            "Total_AUs=1\n"
            "Total_Blocks=0\n"
            "Version=4.0\n"
            "[Course_Behavior]\n"
            "Max_Normal=1\n"
            "[Course_Description]\n"
            f"{AICC_DESCRIPTION}\n"
        ),
        "course.au": (
            '"System_ID","Type","Command_Line","File_Name","Max_Score","Mastery_Score","Max_Time_Allowed",'
            '"Time_Limit_Action","System_Vendor","Core_Vendor","Web_Launch","AU_Password"\n'
            '"A1","html","","index.html","100","70","","","","","",""\n'
        ),
        "course.des": '"System_ID","Developer_ID","Title","Description"\n"A1","fire-1","Fire Safety Basics",'
                      '"Raise the alarm and leave safely."\n',
        "course.cst": '"Block","Member"\n"ROOT","A1"\n',
        "index.html": AICC_PAGE,
    })


def scorm12_demo_zip() -> bytes:
    """A SCORM 1.2 package with one SCO that uses window.API."""
    return _zip({
        "imsmanifest.xml": SCORM_MANIFEST.format(identifier=SCORM_IDENTIFIER, title=SCORM_TITLE),
        "index.html": SCORM_PAGE,
    })
