/* Portal Kampung KB — the phone activity form (templates/activities/activity_form.html).
 *
 * 1. Photos are made smaller in the browser before upload: long edge at most 1600 px,
 *    JPEG, so a 6 MB phone photo sends a few hundred KB on a weak connection. The
 *    re-encoding also drops every EXIF tag (the GPS position never leaves the phone); the
 *    capture time is read first and sent in a hidden field.
 * 2. What was typed is kept in localStorage until the server confirms: the activity page
 *    that follows a successful save clears the draft (#draft-confirm). A dropped
 *    connection loses nothing; the draft keeps the form's client_token, so sending it
 *    again returns the activity the first request already created.
 * 3. One tap, one submit: the buttons are disabled while the form is sent.
 *
 * No inline script and no inline style (Content-Security-Policy: script-src 'self').
 */
(function () {
  "use strict";

  var MAX_EDGE = 1600;
  var QUALITY = 0.82;
  var DRAFT_PREFIX = "kkb-activity:";
  var MANAGEMENT = /-(TOTAL|INITIAL|MIN_NUM|MAX_NUM)_FORMS$/;

  function readJson(id) {
    var el = document.getElementById(id);
    if (!el) return null;
    try {
      return JSON.parse(el.textContent);
    } catch (e) {
      return null;
    }
  }

  var storage = (function () {
    try {
      var probe = "__kkb_probe__";
      window.localStorage.setItem(probe, probe);
      window.localStorage.removeItem(probe);
      return window.localStorage;
    } catch (e) {
      return null; // private mode or disabled: the form still works, without a draft
    }
  })();

  function readDraft(key) {
    if (!storage) return null;
    try {
      return JSON.parse(storage.getItem(key) || "null");
    } catch (e) {
      return null;
    }
  }

  function removeDraft(key) {
    if (storage) storage.removeItem(key);
  }

  // ---- The page after a successful save: forget the drafts it confirms. ----------------
  var confirmed = readJson("draft-confirm");
  if (confirmed && storage) {
    var newKey = DRAFT_PREFIX + confirmed.user + ":new";
    var newDraft = readDraft(newKey);
    if (
      newDraft &&
      confirmed.client_token &&
      newDraft.fields &&
      newDraft.fields.client_token === confirmed.client_token
    ) {
      removeDraft(newKey);
    }
    var editKey = DRAFT_PREFIX + confirmed.user + ":" + confirmed.pk;
    var editDraft = readDraft(editKey);
    if (editDraft && editDraft.fields && Number(editDraft.fields.version) < confirmed.version) {
      removeDraft(editKey);
    }
  }

  var form = document.getElementById("activity-form");
  if (!form) return;
  var texts = readJson("activity-form-strings") || {};
  var key = form.getAttribute("data-draft-key");

  function formatSize(bytes) {
    if (bytes >= 1024 * 1024) {
      return (bytes / 1024 / 1024).toLocaleString("id-ID", { maximumFractionDigits: 1 }) + " MB";
    }
    return Math.max(1, Math.round(bytes / 1024)).toLocaleString("id-ID") + " KB";
  }

  // ---- EXIF capture time of a JPEG (DateTimeOriginal, else DateTime). -------------------
  function readExifTime(buffer) {
    var view = new DataView(buffer);
    if (view.byteLength < 4 || view.getUint16(0) !== 0xffd8) return null;
    var offset = 2;
    while (offset + 10 <= view.byteLength) {
      var marker = view.getUint16(offset);
      if ((marker & 0xff00) !== 0xff00 || marker === 0xffda) break;
      var length = view.getUint16(offset + 2);
      if (marker === 0xffe1 && view.getUint32(offset + 4) === 0x45786966) {
        return readTiffTime(view, offset + 10);
      }
      offset += 2 + length;
    }
    return null;
  }

  function readTiffTime(view, start) {
    if (start + 8 > view.byteLength) return null;
    var little = view.getUint16(start) === 0x4949;
    function u16(o) {
      return view.getUint16(start + o, little);
    }
    function u32(o) {
      return view.getUint32(start + o, little);
    }
    function ascii(o, n) {
      var s = "";
      for (var i = 0; i < n - 1 && start + o + i < view.byteLength; i++) {
        s += String.fromCharCode(view.getUint8(start + o + i));
      }
      return s;
    }
    function readIfd(at, wanted) {
      var found = {};
      if (start + at + 2 > view.byteLength) return found;
      var count = u16(at);
      for (var i = 0; i < count; i++) {
        var entry = at + 2 + i * 12;
        if (start + entry + 12 > view.byteLength) break;
        var tag = u16(entry);
        if (wanted.indexOf(tag) === -1) continue;
        var type = u16(entry + 2);
        var n = u32(entry + 4);
        if (type === 2) found[tag] = ascii(n > 4 ? u32(entry + 8) : entry + 8, n);
        else if (type === 4) found[tag] = u32(entry + 8);
      }
      return found;
    }
    try {
      var ifd0 = readIfd(u32(4), [0x0132, 0x8769]);
      var exif = ifd0[0x8769] ? readIfd(ifd0[0x8769], [0x9003, 0x9004]) : {};
      return exif[0x9003] || exif[0x9004] || ifd0[0x0132] || null;
    } catch (e) {
      return null;
    }
  }

  // ---- Downscaling. -----------------------------------------------------------------------
  function decode(file) {
    if (!window.createImageBitmap) return Promise.reject(new Error("createImageBitmap"));
    return window.createImageBitmap(file, { imageOrientation: "from-image" }).catch(function () {
      return window.createImageBitmap(file);
    });
  }

  function canvasOf(width, height) {
    var canvas = document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    var ctx = canvas.getContext("2d");
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = "high";
    return { canvas: canvas, ctx: ctx };
  }

  function downscale(file) {
    return decode(file).then(function (bitmap) {
      var scale = Math.min(1, MAX_EDGE / Math.max(bitmap.width, bitmap.height));
      var width = Math.max(1, Math.round(bitmap.width * scale));
      var height = Math.max(1, Math.round(bitmap.height * scale));
      // Halve step by step: one big step aliases fine detail (and compresses worse).
      var source = bitmap;
      var sw = bitmap.width;
      var sh = bitmap.height;
      while (sw / 2 >= width && sh / 2 >= height) {
        var half = canvasOf(Math.round(sw / 2), Math.round(sh / 2));
        half.ctx.drawImage(source, 0, 0, half.canvas.width, half.canvas.height);
        source = half.canvas;
        sw = half.canvas.width;
        sh = half.canvas.height;
      }
      var out = canvasOf(width, height);
      out.ctx.fillStyle = "#fff"; // transparent images get a white background
      out.ctx.fillRect(0, 0, width, height);
      out.ctx.drawImage(source, 0, 0, width, height);
      if (bitmap.close) bitmap.close();
      return new Promise(function (resolve, reject) {
        out.canvas.toBlob(
          function (blob) {
            if (blob) resolve({ blob: blob, canvas: out.canvas });
            else reject(new Error("toBlob"));
          },
          "image/jpeg",
          QUALITY
        );
      });
    });
  }

  function setFile(input, file) {
    var transfer = new DataTransfer();
    transfer.items.add(file);
    input.files = transfer.files;
  }

  // ---- Pending photo work: a submit waits for it. ------------------------------------------
  var pending = 0;
  var waiting = [];
  var busy = document.getElementById("photo-busy");

  function started() {
    pending += 1;
    if (busy) busy.hidden = false;
  }

  function finished() {
    pending -= 1;
    if (pending > 0) return;
    if (busy) busy.hidden = true;
    var run = waiting;
    waiting = [];
    run.forEach(function (fn) {
      fn();
    });
  }

  function slotParts(input) {
    var slot = input.closest("[data-photo-slot]");
    return {
      slot: slot,
      info: slot ? slot.querySelector("[data-photo-info]") : null,
      preview: slot ? slot.querySelector("[data-photo-preview]") : null,
      taken: document.getElementById(input.getAttribute("data-taken-at")),
    };
  }

  function showPreview(parts, canvas) {
    if (!parts.preview) return;
    canvas.className = "kkb-photo-preview";
    parts.preview.replaceChildren(canvas);
  }

  function photoChanged(input) {
    var file = input.files && input.files[0];
    var parts = slotParts(input);
    if (!file) {
      if (parts.info) parts.info.textContent = "";
      if (parts.preview) parts.preview.replaceChildren();
      delete photoDrafts[input.name];
      saveDraft();
      return;
    }
    input.setAttribute("data-original-size", String(file.size));
    input.removeAttribute("data-sent-size");
    started();
    var exifTime = file
      .slice(0, 256 * 1024)
      .arrayBuffer()
      .then(readExifTime)
      .catch(function () {
        return null;
      });
    Promise.all([exifTime, downscale(file)])
      .then(function (results) {
        var taken = results[0];
        var out = results[1];
        var small = new File([out.blob], "foto.jpg", { type: "image/jpeg", lastModified: Date.now() });
        setFile(input, small);
        if (parts.taken) parts.taken.value = taken || "";
        input.setAttribute("data-sent-size", String(small.size));
        if (parts.info) {
          parts.info.textContent = (texts.sizes || "{after} ({before})")
            .replace("{after}", formatSize(small.size))
            .replace("{before}", formatSize(file.size));
        }
        showPreview(parts, out.canvas);
        return keepPhoto(input, small, taken);
      })
      .catch(function () {
        // Could not decode here (e.g. an unusual format): send it as it is; the server
        // checks it and explains if it is not a usable image.
        input.setAttribute("data-sent-size", String(file.size));
        if (parts.info) parts.info.textContent = texts.failed || "";
      })
      .then(finished, finished);
  }

  // ---- The draft. -----------------------------------------------------------------------
  var photoDrafts = {};

  function keepPhoto(input, file, taken) {
    return new Promise(function (resolve) {
      var reader = new FileReader();
      reader.onload = function () {
        photoDrafts[input.name] = { data: reader.result, taken: taken || "" };
        saveDraft();
        resolve();
      };
      reader.onerror = function () {
        resolve();
      };
      reader.readAsDataURL(file);
    });
  }

  function collect() {
    var fields = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.name === "csrfmiddlewaretoken" || MANAGEMENT.test(el.name)) return;
      if (el.type === "file" || el.type === "submit" || el.type === "button") return;
      if (el.type === "checkbox" || el.type === "radio") {
        if (!Object.prototype.hasOwnProperty.call(fields, el.name)) fields[el.name] = [];
        if (el.checked) fields[el.name].push(el.value);
      } else {
        fields[el.name] = el.value;
      }
    });
    return fields;
  }

  function saveDraft() {
    if (!storage || !key) return;
    var draft = { fields: collect(), photos: photoDrafts, savedAt: Date.now() };
    try {
      storage.setItem(key, JSON.stringify(draft));
    } catch (e) {
      // Quota exceeded: keep the typed fields at least.
      try {
        storage.setItem(key, JSON.stringify({ fields: draft.fields, photos: {}, savedAt: draft.savedAt }));
      } catch (e2) {
        /* nothing more we can do */
      }
    }
  }

  var saveTimer = null;
  function saveSoon() {
    window.clearTimeout(saveTimer);
    saveTimer = window.setTimeout(saveDraft, 300);
  }

  function dataUrlToFile(dataUrl) {
    var parts = dataUrl.split(",");
    var bytes = window.atob(parts[1]);
    var array = new Uint8Array(bytes.length);
    for (var i = 0; i < bytes.length; i++) array[i] = bytes.charCodeAt(i);
    return new File([array], "foto.jpg", { type: "image/jpeg", lastModified: Date.now() });
  }

  function restoreDraft() {
    var draft = readDraft(key);
    if (!draft || !draft.fields) return;
    var version = form.elements.namedItem("version");
    if (version && String(draft.fields.version) !== String(version.value)) {
      removeDraft(key); // typed against an older version of the activity
      return;
    }
    var changed = false;
    Object.keys(draft.fields).forEach(function (name) {
      var value = draft.fields[name];
      form.querySelectorAll('[name="' + CSS.escape(name) + '"]').forEach(function (el) {
        if (el.type === "file") return;
        if (el.type === "checkbox" || el.type === "radio") {
          var checked = Array.isArray(value) && value.indexOf(el.value) !== -1;
          if (el.checked !== checked) changed = true;
          el.checked = checked;
        } else if (el.value !== value) {
          changed = true;
          el.value = value;
        }
      });
    });
    Object.keys(draft.photos || {}).forEach(function (name) {
      var input = form.querySelector('input[type="file"][name="' + CSS.escape(name) + '"]');
      var kept = draft.photos[name];
      if (!input || !kept || !kept.data || (input.files && input.files.length)) return;
      try {
        var file = dataUrlToFile(kept.data);
        setFile(input, file);
        photoDrafts[name] = kept;
        var parts = slotParts(input);
        if (parts.taken) parts.taken.value = kept.taken || "";
        input.setAttribute("data-sent-size", String(file.size));
        if (parts.info) parts.info.textContent = (texts.sizes || "{after}").replace("{after}", formatSize(file.size)).replace("{before}", "…");
        if (parts.slot) parts.slot.classList.remove("d-none");
        changed = true;
      } catch (e) {
        /* a damaged stored photo is simply not restored */
      }
    });
    if (changed) {
      var notice = document.getElementById("draft-restored");
      if (notice) notice.classList.remove("d-none");
    }
  }

  var discard = document.getElementById("draft-discard");
  if (discard) {
    discard.addEventListener("click", function () {
      removeDraft(key);
      window.location.reload();
    });
  }

  // ---- Photo slots: one at a time on a phone. --------------------------------------------
  var slots = Array.prototype.slice.call(form.querySelectorAll("[data-photo-slot]"));
  var addButton = document.getElementById("add-photo");

  function slotUsed(slot) {
    var input = slot.querySelector('input[type="file"]');
    return (input && input.files && input.files.length) || slot.querySelector(".invalid-feedback");
  }

  function hiddenSlots() {
    return slots.filter(function (s) {
      return s.classList.contains("d-none");
    });
  }

  function updateAddButton() {
    if (addButton) addButton.classList.toggle("d-none", hiddenSlots().length === 0);
  }

  if (addButton) {
    addButton.addEventListener("click", function () {
      var next = hiddenSlots()[0];
      if (next) {
        next.classList.remove("d-none");
        var input = next.querySelector('input[type="file"]');
        if (input) input.focus();
      }
      updateAddButton();
    });
  }

  form.querySelectorAll('input[type="file"][data-downscale]').forEach(function (input) {
    input.addEventListener("change", function () {
      photoChanged(input);
    });
  });

  // ---- Submit once. ----------------------------------------------------------------------
  function setSending(on) {
    form.setAttribute("data-sending", on ? "1" : "0");
    form.querySelectorAll('button[type="submit"]').forEach(function (button) {
      button.disabled = on;
    });
  }

  form.addEventListener("submit", function (event) {
    if (form.getAttribute("data-sending") === "1") {
      event.preventDefault(); // a second tap while the first is on its way
      return;
    }
    var submitter = event.submitter;
    if (pending > 0) {
      event.preventDefault();
      waiting.push(function () {
        form.requestSubmit(submitter || undefined);
      });
      return;
    }
    window.clearTimeout(saveTimer);
    saveDraft();
    form.setAttribute("data-sending", "1");
    // Disable after the browser has collected the form data (a disabled submitter would
    // not send its name=value).
    window.setTimeout(function () {
      setSending(true);
    }, 0);
  });

  // Back from a failed send (or from the bfcache): the buttons work again.
  window.addEventListener("pageshow", function () {
    setSending(false);
  });

  form.addEventListener("input", saveSoon);
  form.addEventListener("change", saveSoon);

  restoreDraft();
  // Show the photo slots in use and one empty slot; "Add another photo" reveals the next.
  var emptyShown = false;
  slots.forEach(function (slot) {
    if (slotUsed(slot)) return;
    if (emptyShown) slot.classList.add("d-none");
    emptyShown = true;
  });
  updateAddButton();
})();
