// The check-in screen: typed, scanned (camera or USB scanner) or picked codes are sent
// with an id of their own; when the network fails, they wait in a queue in this browser
// (with their original time) and are sent when it returns. The server's answer to a
// retried scan is the answer it gave the first time.
(function () {
  "use strict";
  var root = document.getElementById("checkin");
  if (!root) { return; }
  var form = document.getElementById("scan-form");
  var tokenInput = document.getElementById("token");
  var stationInput = document.getElementById("station");
  var answerBox = document.getElementById("answer");
  var queueBox = document.getElementById("queue-status");
  var queueKey = "gosmart-checkin-queue-" + root.dataset.assembly;
  var csrf = form.querySelector("input[name=csrf_token]").value;
  var sending = false;

  // The messages in the page's language (on the verdict template); English if absent.
  var MESSAGES = {};
  try { MESSAGES = JSON.parse(document.getElementById("verdict-template").dataset.messages || "{}"); }
  catch (e) { MESSAGES = {}; }
  function say(key, fallback, values) {
    var text = MESSAGES[key] || fallback;
    Object.keys(values || {}).forEach(function (name) { text = text.split("{" + name + "}").join(values[name]); });
    return text;
  }
  function timeOf(iso) {
    return new Date(iso).toLocaleTimeString(document.documentElement.lang || undefined);
  }

  var VERDICT_TEXT = {
    checked_in: say("checked_in", "Checked in"), already_checked_in: say("already_checked_in", "Already checked in"),
    waiting_list: say("waiting_list", "On the waiting list — not admitted"),
    cancelled: say("cancelled", "Registration cancelled"),
    other_assembly: say("other_assembly", "Registered for another assembly"),
    unknown_code: say("unknown_code", "Unknown code")
  };

  function newId() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID().replace(/-/g, ""); }
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function loadQueue() {
    try { return JSON.parse(localStorage.getItem(queueKey) || "[]"); } catch (e) { return []; }
  }
  function saveQueue(queue) { localStorage.setItem(queueKey, JSON.stringify(queue)); showQueue(queue); }
  function showQueue(queue) {
    queueBox.hidden = queue.length === 0;
    queueBox.textContent = queue.length === 1
      ? say("queued_one", "1 scan is queued: no connection. It will be sent when the connection returns.")
      : say("queued_many", "{count} scans are queued: no connection. They will be sent when the connection returns.",
            { count: queue.length });
  }

  function render(result, note) {
    var template = document.getElementById("verdict-template");
    var box = template.content.firstElementChild.cloneNode(true);
    box.classList.add("verdict-" + result.verdict);
    box.querySelector(".verdict-word").textContent = result.message || VERDICT_TEXT[result.verdict] || result.verdict;
    var who = [result.name, result.organization, result.role].filter(Boolean).join(" · ");
    box.querySelector(".verdict-person").textContent = who;
    var detail = [];
    if (result.verdict === "already_checked_in" && result.checked_in_at) {
      detail.push(say("already_detail", "at {time}, station {station}, by {by}",
                      { time: result.checked_in_at, station: result.station || "—", by: result.by || "—" }));
    }
    if (note) { detail.push(note); }
    box.querySelector(".verdict-detail").textContent = detail.join(" · ");
    answerBox.replaceChildren(box);
  }

  function renderQueued(scan) {
    render({ verdict: "queued", message: say("queued", "Queued — no connection") },
      say("scanned_at", "Scanned at {time}; it will be sent when the connection returns.", { time: timeOf(scan.scanned_at) }));
  }

  function post(scan) {
    var body = new URLSearchParams();
    Object.keys(scan).forEach(function (key) { if (scan[key] !== undefined && scan[key] !== null) { body.append(key, scan[key]); } });
    body.append("csrf_token", csrf);
    return fetch(form.action, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrf }
    }).then(function (response) {
      if (response.status >= 500 || response.status === 0) { throw new Error("server " + response.status); }
      return response.json().then(function (json) { json.status = response.status; return json; });
    });
  }

  function submit(scan) {
    render({ verdict: "pending", message: say("checking", "Checking…") });
    post(scan).then(function (result) {
      if (result.error) { render({ verdict: "unknown_code", message: result.error }); return; }
      render(result);
      refreshCount();
    }).catch(function () {
      var queue = loadQueue();
      queue.push(scan);
      saveQueue(queue);
      renderQueued(scan);
    });
  }

  function flush() {
    var queue = loadQueue();
    if (sending || queue.length === 0) { return; }
    sending = true;
    var scan = queue[0];
    post(scan).then(function (result) {
      var rest = loadQueue().filter(function (s) { return s.client_id !== scan.client_id; });
      saveQueue(rest);
      render(result, say("queued_from", "queued scan from {time}", { time: timeOf(scan.scanned_at) }));
      refreshCount();
      sending = false;
      flush();
    }).catch(function () { sending = false; });
  }

  function refreshCount() {
    var counter = document.getElementById("live_count");
    if (counter && window.htmx) { htmx.ajax("GET", counter.getAttribute("hx-get"), { target: "#live_count", swap: "outerHTML" }); }
  }

  function station() {
    var value = stationInput.value.trim();
    if (value) { localStorage.setItem("gosmart-station", value); }
    return value || localStorage.getItem("gosmart-station") || "";
  }

  function scanToken(token) {
    token = (token || "").trim();
    if (!token) { return; }
    submit({ client_id: newId(), token: token, station: station(), scanned_at: new Date().toISOString() });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    scanToken(tokenInput.value);
    tokenInput.value = "";
    tokenInput.focus();
  });

  // Picking a person from the name search.
  document.addEventListener("submit", function (event) {
    var pick = event.target.closest && event.target.closest(".pick-form");
    if (!pick) { return; }
    event.preventDefault();
    submit({ client_id: newId(), registration_id: pick.querySelector("input[name=registration_id]").value,
             station: station(), scanned_at: new Date().toISOString() });
  });

  // The camera: the browser's BarcodeDetector where there is one, jsQR otherwise.
  var cameraButton = document.getElementById("camera-button");
  var cameraBox = document.getElementById("camera");
  var video = document.getElementById("camera-video");
  var stream = null;
  var lastCode = "", lastAt = 0;
  if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia) { cameraButton.hidden = false; }

  function found(code) {
    var now = Date.now();
    if (code === lastCode && now - lastAt < 3000) { return; }
    lastCode = code; lastAt = now;
    scanToken(code);
  }

  function loop(detector, canvas) {
    if (!stream) { return; }
    if (video.readyState >= 2) {
      if (detector) {
        detector.detect(video).then(function (codes) { if (codes.length) { found(codes[0].rawValue); } })
          .catch(function () {});
      } else if (window.jsQR) {
        canvas.width = video.videoWidth; canvas.height = video.videoHeight;
        var context = canvas.getContext("2d", { willReadFrequently: true });
        context.drawImage(video, 0, 0);
        var image = context.getImageData(0, 0, canvas.width, canvas.height);
        var code = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
        if (code && code.data) { found(code.data); }
      }
    }
    setTimeout(function () { loop(detector, canvas); }, 250);
  }

  cameraButton.addEventListener("click", function () {
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (s) {
      stream = s;
      video.srcObject = s;
      video.play();
      cameraBox.hidden = false;
      var detector = ("BarcodeDetector" in window) ? new window.BarcodeDetector({ formats: ["qr_code"] }) : null;
      loop(detector, document.createElement("canvas"));
    }).catch(function () {
      render({ verdict: "unknown_code",
               message: say("no_camera", "The camera is not available. Type the code or search by name.") });
    });
  });
  document.getElementById("camera-stop").addEventListener("click", function () {
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); }
    stream = null;
    cameraBox.hidden = true;
  });

  if (stationInput && !stationInput.value) { stationInput.value = localStorage.getItem("gosmart-station") || ""; }
  showQueue(loadQueue());
  window.addEventListener("online", flush);
  setInterval(flush, 5000);
  flush();
})();
