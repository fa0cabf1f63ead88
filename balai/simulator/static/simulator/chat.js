// Balai WhatsApp simulator: the simulated resident's phone.
// Polls the simulator's JSON API, renders the chat the way WhatsApp shows it, sends what the
// resident types or taps, and reports "read" while the page is visible.
(function () {
  "use strict";

  var root = document.getElementById("chat");
  if (!root) return;
  var cfg = root.dataset;
  var log = document.getElementById("log");
  var errorBox = document.getElementById("error");
  var templates = JSON.parse(document.getElementById("sim-templates").textContent || "{}");
  var POLL_MS = 1500;
  var IMAGE_MAX_SIDE = 1600;
  var DOCUMENT_MAX = 16 * 1024 * 1024;
  var lastSignature = "";
  var items = [];
  var reading = false;
  var pollTimer = null;
  var polling = false;
  var pollAgain = false;

  // --- talking to the API -----------------------------------------------------------------

  function api(method, url, body) {
    var options = { method: method, headers: { Accept: "application/json" } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) throw new Error(data.error || "HTTP " + response.status);
        return data;
      });
    });
  }

  function who() {
    var me = { village: cfg.village };
    if (cfg.waId) me.wa_id = cfg.waId;
    if (cfg.userId) me.user_id = cfg.userId;
    return me;
  }

  function query() {
    var params = new URLSearchParams(who());
    return cfg.messagesUrl + "?" + params.toString();
  }

  function showError(message) {
    errorBox.textContent = message ? "Gagal: " + message : "";
    errorBox.hidden = !message;
  }

  function send(content) {
    var body = { village: cfg.village, name: cfg.name };
    if (cfg.waId) body.from = cfg.waId;
    if (cfg.userId) body.user_id = cfg.userId;
    Object.keys(content).forEach(function (key) { body[key] = content[key]; });
    showError("");
    return api("POST", cfg.messagesUrl, body)
      .then(function (answer) {
        if (answer.webhook_error) showError(answer.webhook_error);
        return poll();
      })
      .catch(function (e) { showError(e.message); });
  }

  // One poll at a time; a poll asked for meanwhile runs as soon as the current one ends.
  function poll() {
    clearTimeout(pollTimer);
    if (polling) {
      pollAgain = true;
      return Promise.resolve();
    }
    polling = true;
    return api("GET", query())
      .then(function (data) {
        items = data.messages || [];
        var signature = JSON.stringify(items.map(function (m) { return [m.wamid, m.status]; }));
        if (signature !== lastSignature) {
          lastSignature = signature;
          render();
        }
        markRead();
      })
      .catch(function (e) { showError(e.message); })
      .then(function () {
        polling = false;
        clearTimeout(pollTimer);
        if (pollAgain) {
          pollAgain = false;
          poll();
        } else {
          pollTimer = setTimeout(poll, POLL_MS);
        }
      });
  }

  function markRead() {
    if (reading || document.visibilityState !== "visible") return;
    var unread = items.some(function (m) {
      return m.direction === "out" && m.status !== "read" && m.status !== "failed";
    });
    if (!unread) return;
    reading = true;
    api("POST", cfg.readUrl, who())
      .catch(function (e) { showError(e.message); })
      .then(function () { reading = false; });
  }

  // --- building the chat ------------------------------------------------------------------

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  // WhatsApp's formatting: *bold*, _italic_, ~strike~, ```monospace```, `code`.
  var MARKS = /(```[\s\S]+?```|`[^`\n]+`|\*[^*\n]+\*|_[^_\n]+_|~[^~\n]+~)/;
  var TAGS = { "*": "strong", _: "em", "~": "s", "`": "code" };

  function formatted(text, className) {
    var box = el("div", className || "text");
    String(text || "").split(MARKS).forEach(function (part, i) {
      if (!part) return;
      if (i % 2 === 0) {
        box.appendChild(document.createTextNode(part));
        return;
      }
      var fence = part.indexOf("```") === 0 ? 3 : 1;
      box.appendChild(el(TAGS[part[0]], null, part.slice(fence, part.length - fence)));
    });
    return box;
  }

  function fileUrl(mediaId) {
    return cfg.filesUrl.replace("MEDIA_ID", encodeURIComponent(mediaId));
  }

  function sameOrigin(link) {
    try {
      return new URL(link, window.location.href).origin === window.location.origin;
    } catch (e) {
      return false;
    }
  }

  function mediaSource(obj) {
    if (obj.id) return fileUrl(obj.id);
    if (obj.link && sameOrigin(obj.link)) return obj.link;
    return null;
  }

  function image(bubble, obj) {
    var src = mediaSource(obj || {});
    if (src) {
      var img = el("img", "media");
      img.src = src;
      img.alt = obj.caption || "Gambar";
      img.loading = "lazy";
      bubble.appendChild(img);
    } else {
      bubble.appendChild(el("div", "label", "🖼 Gambar dari tautan luar: " + (obj.link || "")));
    }
    if (obj.caption) bubble.appendChild(formatted(obj.caption));
  }

  function documentBox(bubble, obj, glyph, fallback) {
    var src = obj.id ? fileUrl(obj.id) : obj.link;
    var box = el(src ? "a" : "div", "doc");
    if (src) {
      box.href = src;
      box.target = "_blank";
      box.rel = "noopener noreferrer";
    }
    box.appendChild(el("span", "glyph", glyph));
    box.appendChild(el("span", null, obj.filename || fallback));
    bubble.appendChild(box);
    if (obj.caption) bubble.appendChild(formatted(obj.caption));
  }

  function place(bubble, loc) {
    var link = el("a", "place");
    link.href = "https://www.openstreetmap.org/?mlat=" + encodeURIComponent(loc.latitude) +
      "&mlon=" + encodeURIComponent(loc.longitude) + "#map=17/" + loc.latitude + "/" + loc.longitude;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    link.appendChild(el("span", "glyph", "📍"));
    var text = el("span");
    text.appendChild(el("strong", null, loc.name || "Lokasi"));
    if (loc.address) text.appendChild(el("small", null, loc.address));
    text.appendChild(el("small", null, loc.latitude + ", " + loc.longitude));
    link.appendChild(text);
    bubble.appendChild(link);
  }

  function templateText(tpl) {
    var lang = (tpl.language || {}).code || "";
    var known = templates[tpl.name + "|" + lang] || templates[tpl.name];
    var params = [];
    (tpl.components || []).forEach(function (c) {
      if (c && String(c.type).toLowerCase() === "body") params = c.parameters || [];
    });
    if (!known) return null;
    var values = params.map(function (p) {
      if (!p) return "";
      if (p.type === "text") return p.text;
      if (p.currency) return p.currency.fallback_value;
      if (p.date_time) return p.date_time.fallback_value;
      return "";
    });
    return known.body.replace(/\{\{\s*([\w.]+)\s*\}\}/g, function (whole, key) {
      if (/^\d+$/.test(key)) {
        var value = values[Number(key) - 1];
        return value === undefined ? whole : value;
      }
      for (var i = 0; i < params.length; i++) {
        if (params[i] && params[i].parameter_name === key) return values[i];
      }
      var index = (known.parameters || []).indexOf(key);
      return index >= 0 && values[index] !== undefined ? values[index] : whole;
    });
  }

  // A one-line summary of any message, for quotes.
  function summary(m) {
    var p = m.payload || {};
    var obj = p[p.type] || {};
    switch (p.type) {
      case "text": return obj.body;
      case "interactive":
        if (obj.type === "button_reply" || obj.type === "list_reply") return obj[obj.type].title;
        return (obj.body || {}).text;
      case "image": return "🖼 " + (obj.caption || "Foto");
      case "document": return "📄 " + (obj.filename || "Dokumen");
      case "location": return "📍 " + (obj.name || "Lokasi");
      case "template": return templateText(obj) || "Template " + obj.name;
      default: return p.type;
    }
  }

  function quote(bubble, wamid) {
    if (!wamid) return;
    var target = items.filter(function (m) { return m.wamid === wamid; })[0];
    bubble.appendChild(formatted(target ? summary(target) : "Pesan sebelumnya", "quote"));
  }

  function tapButton(m, choice) {
    return function () {
      send({ button_reply: { id: choice.id, title: choice.title }, reply_to: m.wamid });
    };
  }

  function openList(m, inter) {
    var dialog = document.getElementById("list-dialog");
    var rows = document.getElementById("list-rows");
    document.getElementById("list-title").textContent = inter.action.button;
    rows.textContent = "";
    (inter.action.sections || []).forEach(function (section) {
      if (section.title) rows.appendChild(el("h3", null, section.title));
      (section.rows || []).forEach(function (row) {
        var choice = el("button", "row-choice", row.title);
        choice.type = "button";
        if (row.description) choice.appendChild(el("small", null, row.description));
        choice.addEventListener("click", function () {
          dialog.close();
          var reply = { id: row.id, title: row.title };
          if (row.description) reply.description = row.description;
          send({ list_reply: reply, reply_to: m.wamid });
        });
        rows.appendChild(choice);
      });
    });
    if (dialog.showModal) dialog.showModal();
    else dialog.setAttribute("open", "");
  }

  function interactive(wrap, bubble, m, inter) {
    var header = inter.header;
    if (header) {
      if (header.type === "text") bubble.appendChild(formatted(header.text, "header"));
      else if (header.type === "image") image(bubble, header.image || {});
      else documentBox(bubble, header[header.type] || {}, "📄", header.type);
    }
    if (inter.body) bubble.appendChild(formatted(inter.body.text));
    if (inter.footer) bubble.appendChild(formatted(inter.footer.text, "footer"));
    var actions = el("div", "actions");
    var action = inter.action || {};
    if (inter.type === "button") {
      (action.buttons || []).forEach(function (b) {
        var reply = b.reply || {};
        var button = el("button", null, "↩ " + reply.title);
        button.type = "button";
        button.addEventListener("click", tapButton(m, reply));
        actions.appendChild(button);
      });
    } else if (inter.type === "list") {
      var open = el("button", null, "☰ " + action.button);
      open.type = "button";
      open.addEventListener("click", function () { openList(m, inter); });
      actions.appendChild(open);
    } else if (inter.type === "cta_url" && action.parameters) {
      var link = el("a", "doc", "🔗 " + action.parameters.display_text);
      link.href = action.parameters.url;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      bubble.appendChild(link);
    }
    if (actions.childNodes.length) wrap.appendChild(actions);
  }

  function time(iso) {
    var d = new Date(iso);
    return isNaN(d) ? "" : d.toLocaleTimeString("id-ID", { hour: "2-digit", minute: "2-digit" });
  }

  function ticks(m) {
    if (m.error) {
      var warn = el("span", "ticks warn", "⚠");
      warn.title = m.error.message || "Webhook gagal";
      return warn;
    }
    var read = m.status === "read";
    var mark = el("span", "ticks" + (read ? " read" : ""), read ? "✓✓" : "✓");
    mark.title = read ? "Dibaca oleh desa" : "Terkirim";
    return mark;
  }

  function body(wrap, bubble, m) {
    var p = m.payload || {};
    var obj = p[p.type] || {};
    switch (p.type) {
      case "text":
        bubble.appendChild(formatted(obj.body));
        break;
      case "interactive":
        if (obj.type === "button_reply" || obj.type === "list_reply") {
          bubble.appendChild(formatted(obj[obj.type].title));
        } else {
          interactive(wrap, bubble, m, obj);
        }
        break;
      case "image":
      case "sticker":
        image(bubble, obj);
        break;
      case "document":
        documentBox(bubble, obj, "📄", "Dokumen");
        break;
      case "audio":
        documentBox(bubble, obj, "🎵", "Pesan suara");
        break;
      case "video":
        documentBox(bubble, obj, "🎬", "Video");
        break;
      case "location":
        place(bubble, obj);
        break;
      case "template": {
        var text = templateText(obj);
        bubble.appendChild(text === null ? el("div", "label", "Template " + obj.name) : formatted(text));
        break;
      }
      default:
        bubble.appendChild(el("div", "label", "[" + p.type + "]"));
    }
  }

  function render() {
    var nearBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 80;
    log.textContent = "";
    var reactions = {};
    items.forEach(function (m) {
      var p = m.payload || {};
      if (p.type === "reaction" && p.reaction) reactions[p.reaction.message_id] = p.reaction.emoji;
    });
    var shown = items.filter(function (m) { return (m.payload || {}).type !== "reaction"; });
    if (!shown.length) {
      log.appendChild(el("p", "empty", "Belum ada pesan. Kirim „halo” untuk mulai."));
      return;
    }
    shown.forEach(function (m) {
      var wrap = el("div", "msg " + m.direction);
      var bubble = el("div", "bubble");
      var context = (m.payload || {}).context || {};
      quote(bubble, context.message_id || context.id);
      body(wrap, bubble, m);
      var meta = el("span", "meta", time(m.created));
      if (m.direction === "in") meta.appendChild(ticks(m));
      bubble.appendChild(meta);
      wrap.insertBefore(bubble, wrap.firstChild);
      if (reactions[m.wamid]) wrap.appendChild(el("span", "reaction", reactions[m.wamid]));
      log.appendChild(wrap);
    });
    if (nearBottom || !render.done) log.scrollTop = log.scrollHeight;
    render.done = true;
  }

  // --- composing --------------------------------------------------------------------------

  var textInput = document.getElementById("text");
  document.getElementById("composer").addEventListener("submit", function (event) {
    event.preventDefault();
    var text = textInput.value;
    if (!text.trim()) return;
    textInput.value = "";
    send({ text: text });
  });

  function base64Of(blob) {
    return new Promise(function (resolve, reject) {
      var reader = new FileReader();
      reader.onload = function () { resolve(String(reader.result).split(",")[1] || ""); };
      reader.onerror = function () { reject(new Error("berkas tidak terbaca")); };
      reader.readAsDataURL(blob);
    });
  }

  // Like WhatsApp, photos are scaled down and re-encoded as JPEG before sending.
  function shrink(file) {
    return new Promise(function (resolve, reject) {
      var url = URL.createObjectURL(file);
      var img = new Image();
      img.onload = function () {
        var scale = Math.min(1, IMAGE_MAX_SIDE / Math.max(img.naturalWidth, img.naturalHeight));
        var canvas = document.createElement("canvas");
        canvas.width = Math.max(1, Math.round(img.naturalWidth * scale));
        canvas.height = Math.max(1, Math.round(img.naturalHeight * scale));
        canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
        URL.revokeObjectURL(url);
        canvas.toBlob(function (blob) {
          if (blob) resolve(blob);
          else reject(new Error("foto tidak bisa diproses"));
        }, "image/jpeg", 0.85);
      };
      img.onerror = function () {
        URL.revokeObjectURL(url);
        reject(new Error("foto tidak bisa dibaca"));
      };
      img.src = url;
    });
  }

  var fileInput = document.getElementById("file");
  fileInput.addEventListener("change", function () {
    var file = fileInput.files[0];
    fileInput.value = "";
    if (!file) return;
    var caption = textInput.value.trim();
    var isImage = /^image\/(jpeg|png|webp|gif|bmp)$/.test(file.type);
    if (!isImage && file.size > DOCUMENT_MAX) {
      showError("dokumen lebih dari 16 MB");
      return;
    }
    var prepared = isImage ? shrink(file) : Promise.resolve(file);
    prepared
      .then(function (blob) {
        return base64Of(blob).then(function (data) {
          textInput.value = "";
          if (isImage) {
            var photo = { mime_type: "image/jpeg", data: data };
            if (caption) photo.caption = caption;
            return send({ image: photo });
          }
          var doc = {
            mime_type: file.type || "application/octet-stream",
            data: data,
            filename: file.name,
          };
          if (caption) doc.caption = caption;
          return send({ document: doc });
        });
      })
      .catch(function (e) { showError(e.message); });
  });

  var locationForm = document.getElementById("location-form");
  function toggleLocation() {
    locationForm.hidden = !locationForm.hidden;
    if (!locationForm.hidden) locationForm.elements.latitude.focus();
  }
  document.getElementById("location").addEventListener("click", toggleLocation);
  document.getElementById("location-open").addEventListener("click", toggleLocation);
  document.getElementById("location-cancel").addEventListener("click", function () {
    locationForm.hidden = true;
  });
  locationForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var f = locationForm.elements;
    var loc = {
      latitude: Number(String(f.latitude.value).replace(",", ".")),
      longitude: Number(String(f.longitude.value).replace(",", ".")),
    };
    if (f.name.value.trim()) loc.name = f.name.value.trim();
    locationForm.hidden = true;
    send({ location: loc });
  });

  document.getElementById("reset").addEventListener("click", function () {
    if (!window.confirm("Hapus semua pesan obrolan ini di simulator?")) return;
    api("POST", cfg.resetUrl, who())
      .then(function () {
        lastSignature = "";
        return poll();
      })
      .catch(function (e) { showError(e.message); });
  });

  // --- faults -----------------------------------------------------------------------------

  var faultForm = document.getElementById("fault-form");
  var faultList = document.getElementById("fault-list");
  var faultsUrl = cfg.faultsUrl + "?village=" + encodeURIComponent(cfg.village);

  function showFaults() {
    if (!faultList) return;
    api("GET", faultsUrl)
      .then(function (data) {
        faultList.textContent = "";
        data.faults.forEach(function (f) {
          var left = f.remaining < 0 ? "sampai dihapus" : f.remaining + "× lagi";
          var delay = f.delay ? ", jeda " + f.delay + " dtk" : "";
          faultList.appendChild(el("li", null, f.kind + " (" + left + delay + ")"));
        });
      })
      .catch(function (e) { showError(e.message); });
  }

  if (faultForm) {
    faultForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var f = faultForm.elements;
      var fault = { village: cfg.village, kind: f.kind.value, count: Number(f.count.value || 1) };
      if (f.delay.value !== "") fault.delay = Number(f.delay.value);
      api("POST", cfg.faultsUrl, fault).then(showFaults).catch(function (e) { showError(e.message); });
    });
    document.getElementById("fault-clear").addEventListener("click", function () {
      api("DELETE", faultsUrl).then(showFaults).catch(function (e) { showError(e.message); });
    });
    faultForm.closest("details").addEventListener("toggle", showFaults);
  }

  var listDialog = document.getElementById("list-dialog");
  listDialog.addEventListener("click", function (event) {
    if (event.target === listDialog) listDialog.close();
  });

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") poll();
  });
  poll();
})();
