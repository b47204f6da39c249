/* The SCORM run-time API of the player page.

   SCORM 1.2 content looks for window.API (LMSInitialize, LMSFinish, LMSGetValue, LMSSetValue,
   LMSCommit, LMSGetLastError, LMSGetErrorString, LMSGetDiagnostic); SCORM 2004 content for
   window.API_1484_11 (Initialize, Terminate, GetValue, SetValue, Commit, GetLastError,
   GetErrorString, GetDiagnostic). The SCO runs in the player's frame, on this origin, and finds the
   object in its parent window. Only the object of the unit's version is defined.

   The initial values come from the server (the #scorm-runtime JSON: the unit state's location,
   suspend data, status, score, total time, entry), read again at Initialize. Values are checked
   here with the standard's error codes, and again by the server.

   Saving: the elements set since the last acknowledged commit are posted on Commit, on Terminate, ten
   seconds after a change, and when the page goes away (navigator.sendBeacon, which survives the
   unload). Each post carries the next sequence number of this runtime session; the server ignores a
   number it has already passed, so a late beacon can never undo what a later commit recorded.

   The commit endpoint is not protected by Django's CSRF header (a beacon cannot send headers): the
   body carries the per-launch token the server embedded in this page, signed and bound to this unit,
   this runtime session and this learner. Another site can make the browser post, but cannot read
   the token, so its post is refused.
*/
(function () {
  "use strict";

  var node = document.getElementById("scorm-runtime");
  if (!node) {
    return;
  }
  var config = JSON.parse(node.textContent);
  var is2004 = config.version === "2004";
  var AUTOSAVE_MS = 10000;

  // --- Error codes ------------------------------------------------------------------------------

  var MESSAGES_12 = {
    "0": "No error",
    "101": "General exception",
    "201": "Invalid argument error",
    "202": "Element cannot have children",
    "203": "Element not an array - cannot have count",
    "301": "Not initialized",
    "401": "Not implemented error",
    "402": "Invalid set value, element is a keyword",
    "403": "Element is read only",
    "404": "Element is write only",
    "405": "Incorrect data type"
  };
  var MESSAGES_2004 = {
    "0": "No Error",
    "101": "General Exception",
    "102": "General Initialization Failure",
    "103": "Already Initialized",
    "104": "Content Instance Terminated",
    "111": "General Termination Failure",
    "112": "Termination Before Initialization",
    "113": "Termination After Termination",
    "122": "Retrieve Data Before Initialization",
    "123": "Retrieve Data After Termination",
    "132": "Store Data Before Initialization",
    "133": "Store Data After Termination",
    "142": "Commit Before Initialization",
    "143": "Commit After Termination",
    "201": "General Argument Error",
    "301": "General Get Failure",
    "351": "General Set Failure",
    "391": "General Commit Failure",
    "401": "Undefined Data Model Element",
    "402": "Unimplemented Data Model Element",
    "403": "Data Model Element Value Not Initialized",
    "404": "Data Model Element Is Read Only",
    "405": "Data Model Element Is Write Only",
    "406": "Data Model Element Type Mismatch",
    "407": "Data Model Element Value Out Of Range",
    "408": "Data Model Dependency Not Established"
  };
  var MESSAGES = is2004 ? MESSAGES_2004 : MESSAGES_12;

  // A failed check: "type" (wrong kind of value) or "range" (right kind, outside the limits).
  function Problem(kind, text) {
    this.kind = kind;
    this.text = text;
  }

  // --- Value checks: each returns null when the value is valid, else a Problem -------------------

  var DECIMAL = /^[-+]?(\d+(\.\d*)?|\.\d+)$/;
  var TIMESPAN_12 = /^\d{2,4}:\d{2}:\d{2}(\.\d{1,2})?$/;
  var TIME_12 = /^([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,2})?$/;
  var DURATION = /^P(\d+Y)?(\d+M)?(\d+D)?(T(\d+H)?(\d+M)?(\d+(\.\d{1,2})?S)?)?$/;
  var ZERO_DURATION = /^P0+(\.0+)?S$/;
  var TIMESTAMP = /^\d{4}(-\d{2}(-\d{2}(T\d{2}(:\d{2}(:\d{2}(\.\d{1,2})?)?)?(Z|[+-]\d{2}(:\d{2})?)?)?)?)?$/;
  var LANGUAGE = /^([A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*)?$/;
  var NAV_REQUEST = /^(continue|previous|exit|exitAll|abandon|abandonAll|suspendAll|_none_|\{target=[^{}\s]+\}(choice|jump))$/;

  function text(limit) {
    return function (v) {
      return v.length <= limit ? null : new Problem("type", "at most " + limit + " characters");
    };
  }
  function identifier(limit) {
    return function (v) {
      return v.length > 0 && v.length <= limit && !/\s/.test(v)
        ? null : new Problem("type", "an identifier without spaces, at most " + limit + " characters");
    };
  }
  function vocabulary(words) {
    return function (v) {
      return words.indexOf(v) >= 0 ? null : new Problem("type", "one of " + words.join(", "));
    };
  }
  function real(low, high, blank) {
    return function (v) {
      if (v === "" && blank) {
        return null;
      }
      if (!DECIMAL.test(v)) {
        return new Problem("type", "a number");
      }
      var n = parseFloat(v);
      if ((low !== null && n < low) || (high !== null && n > high)) {
        return new Problem("range", "a number" + (low !== null ? " from " + low : "") + (high !== null ? " to " + high : ""));
      }
      return null;
    };
  }
  function matching(regex, what) {
    return function (v) {
      return regex.test(v) ? null : new Problem("type", what);
    };
  }
  function either(a, b) {
    return function (v) {
      return a(v) === null || b(v) === null ? null : a(v);
    };
  }
  function timeinterval(v) {
    if (ZERO_DURATION.test(v) || (DURATION.test(v) && v !== "P" && v.charAt(v.length - 1) !== "T")) {
      return null;
    }
    return new Problem("type", "an ISO 8601 duration such as PT1H30M5S");
  }

  var STATUS_12 = ["passed", "completed", "failed", "incomplete", "browsed"];
  var COMPLETION = ["completed", "incomplete", "not attempted", "unknown"];
  var SUCCESS = ["passed", "failed", "unknown"];
  var SCORE_12 = real(0, 100, true);

  // --- The data models -------------------------------------------------------------------------
  // Each entry: [pattern, access, check or constant]. Access: "ro" read only (a string is its
  // constant value, null reads the store), "rw", "wo" write only, "count" an array's _count (the
  // last slot names the array). SCORM 1.2's optional cmi.student_preference is left out (error 401).

  var N = "\\.(\\d+)\\.";
  function entry(name, access, detail) {
    return { re: new RegExp("^" + name.replace(/\./g, "\\.").replace(/\\\.n\\\./g, N) + "$"), access: access, detail: detail };
  }

  var MODEL_12 = [
    entry("cmi._version", "ro", "3.4"),
    entry("cmi.core._children", "ro", "student_id,student_name,lesson_location,credit,lesson_status,entry,score,total_time,lesson_mode,exit,session_time"),
    entry("cmi.core.student_id", "ro", null),
    entry("cmi.core.student_name", "ro", null),
    entry("cmi.core.lesson_location", "rw", text(255)),
    entry("cmi.core.credit", "ro", null),
    entry("cmi.core.lesson_status", "rw", vocabulary(STATUS_12)),
    entry("cmi.core.entry", "ro", null),
    entry("cmi.core.score._children", "ro", "raw,min,max"),
    entry("cmi.core.score.raw", "rw", SCORE_12),
    entry("cmi.core.score.min", "rw", SCORE_12),
    entry("cmi.core.score.max", "rw", SCORE_12),
    entry("cmi.core.total_time", "ro", null),
    entry("cmi.core.lesson_mode", "ro", null),
    entry("cmi.core.exit", "wo", vocabulary(["time-out", "suspend", "logout", ""])),
    entry("cmi.core.session_time", "wo", matching(TIMESPAN_12, "a time span HHHH:MM:SS.SS")),
    entry("cmi.suspend_data", "rw", text(4096)),
    entry("cmi.launch_data", "ro", null),
    entry("cmi.comments", "rw", text(4096)),
    entry("cmi.comments_from_lms", "ro", null),
    entry("cmi.student_data._children", "ro", "mastery_score,max_time_allowed,time_limit_action"),
    entry("cmi.student_data.mastery_score", "ro", null),
    entry("cmi.student_data.max_time_allowed", "ro", null),
    entry("cmi.student_data.time_limit_action", "ro", null),
    entry("cmi.objectives._children", "ro", "id,score,status"),
    entry("cmi.objectives._count", "count", "cmi.objectives"),
    entry("cmi.objectives.n.id", "rw", identifier(255)),
    entry("cmi.objectives.n.score._children", "ro", "raw,min,max"),
    entry("cmi.objectives.n.score.raw", "rw", SCORE_12),
    entry("cmi.objectives.n.score.min", "rw", SCORE_12),
    entry("cmi.objectives.n.score.max", "rw", SCORE_12),
    entry("cmi.objectives.n.status", "rw", vocabulary(STATUS_12.concat(["not attempted"]))),
    entry("cmi.interactions._children", "ro", "id,objectives,time,type,correct_responses,weighting,student_response,result,latency"),
    entry("cmi.interactions._count", "count", "cmi.interactions"),
    entry("cmi.interactions.n.id", "wo", identifier(255)),
    entry("cmi.interactions.n.objectives._count", "count", "objectives"),
    entry("cmi.interactions.n.objectives.n.id", "wo", identifier(255)),
    entry("cmi.interactions.n.time", "wo", matching(TIME_12, "a time of day HH:MM:SS")),
    entry("cmi.interactions.n.type", "wo", vocabulary(["true-false", "choice", "fill-in", "matching", "performance", "sequencing", "likert", "numeric"])),
    entry("cmi.interactions.n.correct_responses._count", "count", "correct_responses"),
    entry("cmi.interactions.n.correct_responses.n.pattern", "wo", text(255)),
    entry("cmi.interactions.n.weighting", "wo", real(null, null, false)),
    entry("cmi.interactions.n.student_response", "wo", text(255)),
    entry("cmi.interactions.n.result", "wo", either(vocabulary(["correct", "wrong", "unanticipated", "neutral"]), real(null, null, false))),
    entry("cmi.interactions.n.latency", "wo", matching(TIMESPAN_12, "a time span HHHH:MM:SS.SS"))
  ];
  var NOT_IMPLEMENTED_12 = /^cmi\.student_preference\./;

  var MODEL_2004 = [
    entry("cmi._version", "ro", "1.0"),
    entry("cmi.comments_from_learner._children", "ro", "comment,location,timestamp"),
    entry("cmi.comments_from_learner._count", "count", "cmi.comments_from_learner"),
    entry("cmi.comments_from_learner.n.comment", "rw", text(4000)),
    entry("cmi.comments_from_learner.n.location", "rw", text(250)),
    entry("cmi.comments_from_learner.n.timestamp", "rw", matching(TIMESTAMP, "an ISO 8601 time")),
    entry("cmi.comments_from_lms._children", "ro", "comment,location,timestamp"),
    entry("cmi.comments_from_lms._count", "count", "cmi.comments_from_lms"),
    entry("cmi.comments_from_lms.n.comment", "ro", null),
    entry("cmi.comments_from_lms.n.location", "ro", null),
    entry("cmi.comments_from_lms.n.timestamp", "ro", null),
    entry("cmi.completion_status", "rw", vocabulary(COMPLETION)),
    entry("cmi.completion_threshold", "ro", null),
    entry("cmi.credit", "ro", null),
    entry("cmi.entry", "ro", null),
    entry("cmi.exit", "wo", vocabulary(["timeout", "suspend", "logout", "normal", ""])),
    entry("cmi.interactions._children", "ro", "id,type,objectives,timestamp,correct_responses,weighting,learner_response,result,latency,description"),
    entry("cmi.interactions._count", "count", "cmi.interactions"),
    entry("cmi.interactions.n.id", "rw", identifier(4000)),
    entry("cmi.interactions.n.type", "rw", vocabulary(["true-false", "choice", "fill-in", "long-fill-in", "matching", "performance", "sequencing", "likert", "numeric", "other"])),
    entry("cmi.interactions.n.objectives._count", "count", "objectives"),
    entry("cmi.interactions.n.objectives.n.id", "rw", identifier(4000)),
    entry("cmi.interactions.n.timestamp", "rw", matching(TIMESTAMP, "an ISO 8601 time")),
    entry("cmi.interactions.n.correct_responses._count", "count", "correct_responses"),
    entry("cmi.interactions.n.correct_responses.n.pattern", "rw", text(4000)),
    entry("cmi.interactions.n.weighting", "rw", real(null, null, false)),
    entry("cmi.interactions.n.learner_response", "rw", text(4000)),
    entry("cmi.interactions.n.result", "rw", either(vocabulary(["correct", "incorrect", "unanticipated", "neutral"]), real(null, null, false))),
    entry("cmi.interactions.n.latency", "rw", timeinterval),
    entry("cmi.interactions.n.description", "rw", text(250)),
    entry("cmi.launch_data", "ro", null),
    entry("cmi.learner_id", "ro", null),
    entry("cmi.learner_name", "ro", null),
    entry("cmi.learner_preference._children", "ro", "audio_level,language,delivery_speed,audio_captioning"),
    entry("cmi.learner_preference.audio_level", "rw", real(0, null, false)),
    entry("cmi.learner_preference.language", "rw", matching(LANGUAGE, "a language code")),
    entry("cmi.learner_preference.delivery_speed", "rw", real(0, null, false)),
    entry("cmi.learner_preference.audio_captioning", "rw", vocabulary(["-1", "0", "1"])),
    entry("cmi.location", "rw", text(1000)),
    entry("cmi.max_time_allowed", "ro", null),
    entry("cmi.mode", "ro", null),
    entry("cmi.objectives._children", "ro", "id,score,success_status,completion_status,progress_measure,description"),
    entry("cmi.objectives._count", "count", "cmi.objectives"),
    entry("cmi.objectives.n.id", "rw", identifier(4000)),
    entry("cmi.objectives.n.score._children", "ro", "scaled,raw,min,max"),
    entry("cmi.objectives.n.score.scaled", "rw", real(-1, 1, false)),
    entry("cmi.objectives.n.score.raw", "rw", real(null, null, false)),
    entry("cmi.objectives.n.score.min", "rw", real(null, null, false)),
    entry("cmi.objectives.n.score.max", "rw", real(null, null, false)),
    entry("cmi.objectives.n.success_status", "rw", vocabulary(SUCCESS)),
    entry("cmi.objectives.n.completion_status", "rw", vocabulary(COMPLETION)),
    entry("cmi.objectives.n.progress_measure", "rw", real(0, 1, false)),
    entry("cmi.objectives.n.description", "rw", text(250)),
    entry("cmi.progress_measure", "rw", real(0, 1, false)),
    entry("cmi.scaled_passing_score", "ro", null),
    entry("cmi.score._children", "ro", "scaled,raw,min,max"),
    entry("cmi.score.scaled", "rw", real(-1, 1, false)),
    entry("cmi.score.raw", "rw", real(null, null, false)),
    entry("cmi.score.min", "rw", real(null, null, false)),
    entry("cmi.score.max", "rw", real(null, null, false)),
    entry("cmi.session_time", "wo", timeinterval),
    entry("cmi.success_status", "rw", vocabulary(SUCCESS)),
    entry("cmi.suspend_data", "rw", text(64000)),
    entry("cmi.time_limit_action", "ro", null),
    entry("cmi.total_time", "ro", null),
    entry("adl.nav.request", "rw", matching(NAV_REQUEST, "a navigation request")),
    entry("adl.nav.request_valid.continue", "ro", "unknown"),
    entry("adl.nav.request_valid.previous", "ro", "unknown")
  ];
  var NAV_VALID_TARGET = /^adl\.nav\.request_valid\.(choice|jump)\.\{target=[^{}\s]+\}$/;

  var MODEL = is2004 ? MODEL_2004 : MODEL_12;

  // --- State -----------------------------------------------------------------------------------

  var values = {};
  var DEFAULTS_2004 = {
    "adl.nav.request": "_none_",
    "cmi.learner_preference.audio_level": "1",
    "cmi.learner_preference.language": "",
    "cmi.learner_preference.delivery_speed": "1",
    "cmi.learner_preference.audio_captioning": "0"
  };

  function load(initial) {
    values = {};
    Object.keys(initial).forEach(function (name) {
      values[name] = String(initial[name]);
    });
    if (is2004) {
      Object.keys(DEFAULTS_2004).forEach(function (name) {
        if (!(name in values)) {
          values[name] = DEFAULTS_2004[name];
        }
      });
    }
  }
  load(config.initial);

  // The values embedded in the page are those of the moment it was rendered. After a reload, the
  // previous page's last commit (sent as it unloaded) may have arrived only after that: the values
  // are read again when the content initializes, synchronously since Initialize answers at once.
  // If that fails, the embedded values stand.
  function refresh() {
    try {
      var request = new XMLHttpRequest();
      request.open("POST", config.stateUrl, false);
      request.setRequestHeader("Content-Type", "application/json");
      request.send(JSON.stringify({ token: config.token }));
      if (request.status === 200) {
        load(JSON.parse(request.responseText).initial);
      }
    } catch (error) {
      return;
    }
  }

  var phase = "new"; // new -> running -> ended
  var lastError = "0";
  var lastDiagnostic = "";
  var version = 0; // bumped by every accepted SetValue
  var changedAt = {}; // element -> version of its last change
  var ackedVersion = 0; // every change up to this version is on the server
  var seq = 0;
  var timer = null;
  var failures = 0;
  var stopped = false; // the server refused for good (4xx): saving stops, the page says why
  var inFlight = []; // posts not answered yet

  function fail(code, diagnostic) {
    lastError = String(code);
    lastDiagnostic = diagnostic || MESSAGES[lastError] || "";
    return code;
  }
  function ok() {
    lastError = "0";
    lastDiagnostic = "";
  }

  function find(name) {
    for (var i = 0; i < MODEL.length; i++) {
      var match = MODEL[i].re.exec(name);
      if (match) {
        return { def: MODEL[i], indices: match.slice(1).map(Number) };
      }
    }
    return null;
  }

  // How many records an array holds: one more than the highest index set.
  function countOf(prefix) {
    var re = new RegExp("^" + prefix.replace(/\./g, "\\.") + "\\.(\\d+)\\.");
    var count = 0;
    Object.keys(values).forEach(function (name) {
      var m = re.exec(name);
      if (m) {
        count = Math.max(count, Number(m[1]) + 1);
      }
    });
    return count;
  }

  // Every array a name indexes, outermost first: "cmi.interactions.3.objectives.0.id" gives
  // {prefix: "cmi.interactions", index: 3} and {prefix: "cmi.interactions.3.objectives", index: 0}.
  function arraysOf(name) {
    var parts = name.split(".");
    var found = [];
    for (var i = 0; i < parts.length; i++) {
      if (/^\d+$/.test(parts[i])) {
        found.push({ prefix: parts.slice(0, i).join("."), index: Number(parts[i]) });
      }
    }
    return found;
  }

  function knownParent(name) {
    return find(name) !== null || find(name + "._children") !== null;
  }

  function successStatus() {
    // SCORM 2004: with a scaled passing score, the scaled score decides success.
    var threshold = values["cmi.scaled_passing_score"];
    if (threshold !== undefined && threshold !== "") {
      var scaled = values["cmi.score.scaled"];
      if (scaled === undefined || scaled === "") {
        return "unknown";
      }
      return parseFloat(scaled) >= parseFloat(threshold) ? "passed" : "failed";
    }
    return values["cmi.success_status"];
  }

  function completionStatus() {
    // SCORM 2004: with a completion threshold, the progress measure decides completion.
    var threshold = values["cmi.completion_threshold"];
    var measure = values["cmi.progress_measure"];
    if (threshold !== undefined && threshold !== "" && measure !== undefined && measure !== "") {
      return parseFloat(measure) >= parseFloat(threshold) ? "completed" : "incomplete";
    }
    return values["cmi.completion_status"];
  }

  // --- GetValue / SetValue ---------------------------------------------------------------------

  function getValue(name) {
    name = String(name === undefined || name === null ? "" : name);
    if (phase !== "running") {
      fail(is2004 ? (phase === "new" ? 122 : 123) : 301);
      return "";
    }
    if (name === "") {
      fail(is2004 ? 301 : 201, "The element name is empty.");
      return "";
    }
    var found = find(name);
    if (!found) {
      return getUnknown(name);
    }
    var def = found.def;
    if (def.access === "wo") {
      fail(is2004 ? 405 : 404, name + " is write only.");
      return "";
    }
    if (def.access === "count") {
      var prefix = def.detail.indexOf("cmi.") === 0 ? def.detail : name.replace(/\._count$/, "");
      ok();
      return String(countOf(prefix));
    }
    if (def.access === "ro" && typeof def.detail === "string") {
      ok();
      return def.detail;
    }
    var arrays = arraysOf(name);
    for (var i = 0; i < arrays.length; i++) {
      if (arrays[i].index >= countOf(arrays[i].prefix)) {
        fail(is2004 ? 301 : 201, "There is no record " + arrays[i].index + " in " + arrays[i].prefix + ".");
        return "";
      }
    }
    if (is2004 && name === "cmi.success_status") {
      ok();
      return successStatus();
    }
    if (is2004 && name === "cmi.completion_status" && "cmi.completion_status" in values) {
      ok();
      return completionStatus();
    }
    if (!(name in values)) {
      if (is2004) {
        fail(403, name + " has no value yet.");
        return "";
      }
      ok();
      return "";
    }
    ok();
    return values[name];
  }

  function getUnknown(name) {
    if (is2004) {
      if (NAV_VALID_TARGET.test(name)) {
        ok();
        return "unknown";
      }
      var keyword = /^(.*)\.(_children|_count)$/.exec(name);
      if (keyword && knownParent(keyword[1])) {
        fail(301, keyword[1] + (keyword[2] === "_children" ? " has no children." : " is not an array."));
        return "";
      }
      fail(401, name + " is not a data model element.");
      return "";
    }
    if (NOT_IMPLEMENTED_12.test(name)) {
      fail(401, name + " is an optional element this player does not offer.");
      return "";
    }
    var kw = /^(.*)\.(_children|_count)$/.exec(name);
    if (kw && knownParent(kw[1])) {
      fail(kw[2] === "_children" ? 202 : 203);
      return "";
    }
    fail(201, name + " is not a data model element.");
    return "";
  }

  function setValue(name, value) {
    name = String(name === undefined || name === null ? "" : name);
    value = String(value === undefined || value === null ? "" : value);
    if (phase !== "running") {
      fail(is2004 ? (phase === "new" ? 132 : 133) : 301);
      return "false";
    }
    if (name === "") {
      fail(is2004 ? 351 : 201, "The element name is empty.");
      return "false";
    }
    var found = find(name);
    if (!found) {
      if (!is2004 && NOT_IMPLEMENTED_12.test(name)) {
        fail(401, name + " is an optional element this player does not offer.");
      } else if (/\._(children|count|version)$/.test(name)) {
        fail(is2004 ? 404 : 402, name + " is a keyword.");
      } else {
        fail(is2004 ? (NAV_VALID_TARGET.test(name) ? 404 : 401) : 201, name + " is not a data model element.");
      }
      return "false";
    }
    var def = found.def;
    if (def.access === "count" || (def.access === "ro" && typeof def.detail === "string" && /\._(children|version)$/.test(name))) {
      fail(is2004 ? 404 : 402, name + " is a keyword.");
      return "false";
    }
    if (def.access === "ro") {
      fail(is2004 ? 404 : 403, name + " is read only.");
      return "false";
    }
    var arrays = arraysOf(name);
    for (var i = 0; i < arrays.length; i++) {
      var count = countOf(arrays[i].prefix);
      if (arrays[i].index > count) {
        fail(is2004 ? 351 : 201, "Records of " + arrays[i].prefix + " are set in order: the next is " + count + ".");
        return "false";
      }
    }
    var dependency = is2004 ? missingDependency(name) : null;
    if (dependency) {
      fail(408, dependency);
      return "false";
    }
    var problem = def.detail(value);
    if (problem) {
      fail(is2004 ? (problem.kind === "range" ? 407 : 406) : 405, name + " must be " + problem.text + ".");
      return "false";
    }
    values[name] = value;
    version += 1;
    changedAt[name] = version;
    ok();
    scheduleSave();
    return "true";
  }

  // SCORM 2004: a record's id comes before its other elements; an interaction's type before its
  // responses.
  function missingDependency(name) {
    var top = /^(cmi\.(objectives|interactions)\.\d+)\.(.+)$/.exec(name);
    if (!top || top[3] === "id") {
      return null;
    }
    if (!((top[1] + ".id") in values)) {
      return "Set " + top[1] + ".id first.";
    }
    if (top[2] === "interactions" && /^(correct_responses\.\d+\.pattern|learner_response)$/.test(top[3]) &&
        !((top[1] + ".type") in values)) {
      return "Set " + top[1] + ".type first.";
    }
    return null;
  }

  // --- Saving ----------------------------------------------------------------------------------

  function announce(kind, detail) {
    document.dispatchEvent(new CustomEvent("scorm:" + kind, { detail: detail }));
  }

  function pending() {
    var elements = {};
    var any = false;
    Object.keys(changedAt).forEach(function (name) {
      if (changedAt[name] > ackedVersion) {
        elements[name] = values[name];
        any = true;
      }
    });
    return any ? elements : null;
  }

  function payload(elements, terminated) {
    seq += 1;
    return JSON.stringify({ token: config.token, seq: seq, elements: elements, terminated: terminated });
  }

  function scheduleSave() {
    if (timer === null && !stopped) {
      timer = window.setTimeout(function () {
        timer = null;
        save(false);
      }, AUTOSAVE_MS);
    }
  }

  // Post what changed since the last acknowledged commit. Returns a promise that settles when the
  // server answered (or the post failed; the changes stay pending and go with the next one).
  function save(terminated) {
    if (timer !== null) {
      window.clearTimeout(timer);
      timer = null;
    }
    var elements = pending();
    if (stopped || (!elements && !terminated)) {
      return Promise.resolve(true);
    }
    var sentVersion = version;
    var body = payload(elements || {}, terminated);
    announce("saving", {});
    var post = fetch(config.commitUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: body,
      keepalive: body.length < 60000
    }).then(function (response) {
      return response.json().then(function (answer) {
        if (response.ok) {
          ackedVersion = Math.max(ackedVersion, sentVersion);
          failures = 0;
          announce("saved", answer);
          return true;
        }
        if (response.status >= 400 && response.status < 500) {
          stopped = true;
        }
        announce("error", { status: response.status, error: answer.error || {} });
        return false;
      });
    }).catch(function () {
      failures += 1;
      announce("error", { status: 0, error: { message: "The connection failed; retrying." } });
      if (failures < 6) {
        window.setTimeout(function () { save(false); }, 2000 * failures);
      }
      return false;
    }).then(function (saved) {
      inFlight.splice(inFlight.indexOf(post), 1);
      return saved;
    });
    inFlight.push(post);
    return post;
  }

  // The page is going away: what is still pending leaves with a beacon, which the browser sends
  // after the page is gone.
  function saveOnLeave() {
    if (timer !== null) {
      window.clearTimeout(timer);
      timer = null;
    }
    var elements = pending();
    if (stopped || !elements) {
      return;
    }
    var body = payload(elements, phase === "ended");
    var blob = new Blob([body], { type: "text/plain;charset=UTF-8" });
    var sent = navigator.sendBeacon && navigator.sendBeacon(config.commitUrl, blob);
    if (!sent) {
      fetch(config.commitUrl, { method: "POST", credentials: "same-origin", keepalive: true, body: blob });
    }
    ackedVersion = version; // sent for good: the page will not get an answer
  }

  window.addEventListener("pagehide", saveOnLeave);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden" && pending()) {
      save(false);
    }
  });

  // --- The API objects -------------------------------------------------------------------------

  function initialize(arg) {
    if (arg !== undefined && arg !== null && String(arg) !== "") {
      fail(201, "The argument must be an empty string.");
      return "false";
    }
    if (phase === "running") {
      fail(is2004 ? 103 : 101, "Already initialized.");
      return "false";
    }
    if (phase === "ended") {
      fail(is2004 ? 104 : 101, "This session has ended; reload the unit to start again.");
      return "false";
    }
    refresh();
    phase = "running";
    ok();
    announce("initialized", {});
    return "true";
  }

  function terminate(arg) {
    if (arg !== undefined && arg !== null && String(arg) !== "") {
      fail(201, "The argument must be an empty string.");
      return "false";
    }
    if (phase !== "running") {
      fail(is2004 ? (phase === "new" ? 112 : 113) : 301);
      return "false";
    }
    var exitName = is2004 ? "cmi.exit" : "cmi.core.exit";
    if (!(exitName in changedAt)) {
      // A session that ends without saying how it exits did not suspend: the next launch starts
      // with entry "" instead of "resume".
      values[exitName] = "";
      version += 1;
      changedAt[exitName] = version;
    }
    phase = "ended";
    ok();
    save(true);
    announce("terminated", { navRequest: values["adl.nav.request"] || "" });
    return "true";
  }

  function commit(arg) {
    if (arg !== undefined && arg !== null && String(arg) !== "") {
      fail(201, "The argument must be an empty string.");
      return "false";
    }
    if (phase !== "running") {
      fail(is2004 ? (phase === "new" ? 142 : 143) : 301);
      return "false";
    }
    ok();
    save(false);
    return "true";
  }

  function getLastError() {
    return lastError;
  }
  function getErrorString(code) {
    return MESSAGES[String(code)] || "";
  }
  function getDiagnostic(code) {
    if (code === undefined || code === null || String(code) === "" || String(code) === lastError) {
      return lastDiagnostic;
    }
    return MESSAGES[String(code)] || "";
  }

  if (is2004) {
    window.API_1484_11 = {
      version: "1.0",
      Initialize: initialize,
      Terminate: terminate,
      GetValue: getValue,
      SetValue: setValue,
      Commit: commit,
      GetLastError: getLastError,
      GetErrorString: getErrorString,
      GetDiagnostic: getDiagnostic
    };
  } else {
    window.API = {
      LMSInitialize: initialize,
      LMSFinish: terminate,
      LMSGetValue: getValue,
      LMSSetValue: setValue,
      LMSCommit: commit,
      LMSGetLastError: getLastError,
      LMSGetErrorString: getErrorString,
      LMSGetDiagnostic: getDiagnostic
    };
  }

  // For the player page: send what is pending now and wait for every answer (before it navigates
  // to another unit).
  window.CoursebridgeRuntime = {
    flush: function () { return Promise.all(inFlight.concat([save(false)])); },
    unitId: config.unitId
  };
})();
