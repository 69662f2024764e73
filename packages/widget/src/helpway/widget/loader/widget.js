/*! Helpway chat widget loader: <script src="https://EDGE/widget.js" data-site="SITE" async></script> */
// The only script a site owner pastes. It stays tiny and dependency-free: it draws the launcher
// at once in a shadow root, opens a panel shell instantly on click, and boots the Python app
// (PyScript + MicroPython, every file from the origin this script came from) when the browser is
// idle, on hover or on click, whichever comes first. The Python app then takes the shell over.
// Styles go through a constructed stylesheet, so a strict style-src CSP does not block them.
(function () {
  "use strict";
  // Included twice, or re-run by a single-page app: the first copy wins.
  var KEY = Symbol.for("helpway.widget");
  var script = document.currentScript;
  if (window[KEY] || !script || !script.src) return;
  window[KEY] = true;

  // Filled in by the build: PyScript config (paths under "@/" are relative to the assets),
  // the app's entry script, the runtime entry module and the files to preload.
  var BUILD = /*@build*/ { config: {}, entry: "", core: "", modules: [], fetches: [] };
  var SVG = "http://www.w3.org/2000/svg";
  var BUBBLE = "M5 3h14a3 3 0 0 1 3 3v9a3 3 0 0 1-3 3h-8l-5 4v-4a3 3 0 0 1-3-3V6a3 3 0 0 1 3-3z";
  var CROSS = "M6 6l12 12M18 6L6 18";
  var PLANE = "M3.4 20.4 21 12 3.4 3.6 3.4 10l12.6 2-12.6 2z";
  var CSS =
    ":host{all:initial!important;display:block!important;position:fixed!important;right:20px!important;bottom:20px!important;z-index:2147483000!important;" +
    "font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'Noto Sans','Liberation Sans',Arial,sans-serif!important;color:#1f2328!important;--hw-accent:#2563eb}" +
    "*{box-sizing:border-box}button{font:inherit;cursor:pointer}[hidden]{display:none!important}" +
    ":focus-visible{outline:2px solid var(--hw-accent);outline-offset:2px}" +
    ".hw-launcher{width:56px;height:56px;border:0;border-radius:50%;background:var(--hw-accent);color:#fff;display:grid;place-items:center;box-shadow:0 6px 20px rgba(0,0,0,.22)}" +
    ".hw-launcher svg{width:28px;height:28px}:host([open]) .hw-chat,.hw-cross{display:none}:host([open]) .hw-cross{display:block}" +
    "svg{fill:currentColor}svg.hw-line{fill:none;stroke:currentColor;stroke-width:2.2;stroke-linecap:round}" +
    ".hw-panel{position:absolute;right:0;bottom:72px;width:370px;height:580px;max-height:calc(100vh - 110px);display:flex;flex-direction:column;background:#fff;border-radius:16px;box-shadow:0 12px 48px rgba(0,0,0,.22);overflow:hidden}" +
    ".hw-head{display:flex;align-items:center;gap:8px;padding:14px 12px 14px 18px;background:var(--hw-accent);color:#fff}" +
    ".hw-titles{flex:1;min-width:0}.hw-title{margin:0;font-size:16px;font-weight:600}.hw-sub{margin:2px 0 0;font-size:12.5px;opacity:.85;min-height:1em}" +
    ".hw-close{border:0;background:none;color:inherit;width:34px;height:34px;border-radius:8px;display:grid;place-items:center}.hw-close:hover{background:rgba(255,255,255,.16)}.hw-close svg{width:20px;height:20px}" +
    ".hw-log{flex:1;overflow-y:auto;padding:16px 14px;background:#f6f7f9;display:flex;flex-direction:column;gap:6px}" +
    ".hw-notice{margin:auto;color:#6b7280;font-size:13px;text-align:center}" +
    ".hw-typing{min-height:22px;padding:2px 16px;font-size:12.5px;color:#6b7280;background:#f6f7f9}" +
    ".hw-actions{padding:8px 12px 0;border-top:1px solid #eceef1}" +
    ".hw-human{border:1px solid #d0d7de;background:#fff;color:#1f2328;border-radius:999px;padding:4px 12px;font-size:13px}.hw-human:hover{border-color:var(--hw-accent)}.hw-human:disabled{opacity:.5;cursor:default}" +
    ".hw-composer{display:flex;align-items:flex-end;gap:8px;padding:8px 12px 12px}" +
    ".hw-input{flex:1;resize:none;field-sizing:content;min-height:40px;max-height:120px;border:1px solid #d0d7de;border-radius:12px;padding:9px 12px;font:inherit;color:inherit;background:#fff;outline:none}.hw-input:focus{border-color:var(--hw-accent)}" +
    ".hw-send{width:40px;height:40px;flex:none;border:0;border-radius:50%;background:var(--hw-accent);color:#fff;display:grid;place-items:center}.hw-send svg{width:20px;height:20px}" +
    "@media (max-width:480px){:host([open]){inset:0!important}:host([open]) .hw-launcher{display:none}.hw-panel{position:fixed;inset:0;width:auto;height:auto;max-height:none;border-radius:0}}" +
    "@media (prefers-reduced-motion:no-preference){.hw-panel{animation:hw-in .16s ease-out}}@keyframes hw-in{from{opacity:0;transform:translateY(8px)}}";

  var src = new URL(script.src);
  var base = new URL("w/", src).href;
  var host = document.createElement("helpway-widget");
  var root = host.attachShadow({ mode: "open" });
  var launcher, panel, booted;

  function el(tag, cls, attrs, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    Object.keys(attrs || {}).forEach(function (name) {
      node.setAttribute(name, attrs[name]);
    });
    if (text) node.textContent = text;
    return node;
  }

  function icon(path, cls) {
    var svg = document.createElementNS(SVG, "svg");
    var line = document.createElementNS(SVG, "path");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    if (cls) svg.setAttribute("class", cls);
    line.setAttribute("d", path);
    svg.appendChild(line);
    return svg;
  }

  function style() {
    try {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];
    } catch (e) {
      root.appendChild(el("style", "", {}, CSS)); // browsers without constructable sheets
    }
  }

  // The shell the Python app adopts: it finds these parts by class name.
  function shell() {
    var head = el("header", "hw-head");
    var titles = el("div", "hw-titles");
    var close = el("button", "hw-close", { type: "button", "aria-label": "Close chat" });
    var log = el("div", "hw-log", { role: "log", "aria-live": "polite", "aria-label": "Messages" });
    var actions = el("div", "hw-actions");
    var form = el("form", "hw-composer");
    var input = el("textarea", "hw-input", {
      rows: "1",
      "aria-label": "Message",
      placeholder: "Type your message…",
    });
    var send = el("button", "hw-send", { type: "submit", "aria-label": "Send" });
    panel = el("section", "hw-panel", { id: "hw-panel", role: "dialog", "aria-label": "Chat" });
    titles.append(el("h2", "hw-title", {}, "Chat with us"), el("p", "hw-sub", {}, "Connecting…"));
    close.appendChild(icon(CROSS, "hw-line"));
    close.addEventListener("click", function () {
      toggle(false);
    });
    head.append(titles, close);
    log.appendChild(el("p", "hw-notice", {}, "Loading the chat…"));
    actions.appendChild(el("button", "hw-human", { type: "button", disabled: "" }, "Talk to a human"));
    send.appendChild(icon(PLANE));
    form.append(input, send);
    // Until Python takes over, a message typed and sent waits in the box, marked for the app.
    form.addEventListener("submit", queue);
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) queue(event);
    });
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") toggle(false);
    });
    panel.append(head, log, el("div", "hw-typing", { "aria-live": "polite" }), actions, form);
    root.appendChild(panel);
  }

  function queue(event) {
    event.preventDefault();
    if (!host.hasAttribute("data-ready")) host.setAttribute("data-queued", "");
  }

  function toggle(open) {
    if (!panel) shell();
    if (open === host.hasAttribute("open")) return;
    host.toggleAttribute("open", open);
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", String(open));
    host.dispatchEvent(new CustomEvent("helpway:" + (open ? "open" : "close")));
    if (open) {
      boot();
      panel.querySelector(".hw-input").focus();
    } else {
      launcher.focus();
    }
  }

  function hint(rel, href, as) {
    var link = el("link", "", { rel: rel, href: href, crossorigin: "" });
    if (as) link.setAttribute("as", as);
    document.head.appendChild(link);
  }

  function boot() {
    if (booted) return;
    booted = true;
    if (typeof WebAssembly !== "object") {
      unavailable();
      return;
    }
    // Every file of the dependency chain is requested now, in parallel, instead of one round
    // trip after another as each file discovers the next.
    BUILD.modules.forEach(function (path) {
      hint("modulepreload", base + path);
    });
    BUILD.fetches.forEach(function (path) {
      hint("preload", base + path, "fetch");
    });
    root.appendChild(el("link", "", { rel: "stylesheet", href: base + "chat.css" }));
    // PyScript reads a config for its other interpreter ("py") too, and without one it loads
    // every plugin: give it one that turns them off.
    document.head.appendChild(el("py-config", "", { hidden: "" }, JSON.stringify({ plugins: BUILD.config.plugins })));
    var config = JSON.stringify(BUILD.config).split('"@/').join('"' + base);
    document.head.appendChild(el("script", "", { type: "mpy", src: base + BUILD.entry, config: config }));
    document.head.appendChild(el("script", "", { type: "module", src: base + BUILD.core }));
    setTimeout(function () {
      if (!host.hasAttribute("data-ready")) unavailable();
    }, 20000);
  }

  function unavailable() {
    if (!panel) shell();
    var notice = panel.querySelector(".hw-notice");
    if (notice) notice.textContent = "The chat is unavailable right now. Please try again later.";
    panel.querySelector(".hw-sub").textContent = "";
  }

  function mount() {
    host.setAttribute("data-site", script.getAttribute("data-site") || "");
    host.setAttribute("data-api", src.origin);
    style();
    launcher = el("button", "hw-launcher", {
      type: "button",
      "aria-label": "Open chat",
      "aria-expanded": "false",
      "aria-controls": "hw-panel",
    });
    launcher.append(icon(BUBBLE, "hw-chat"), icon(CROSS, "hw-line hw-cross"));
    launcher.addEventListener("click", function () {
      toggle(!host.hasAttribute("open"));
    });
    launcher.addEventListener("pointerenter", boot);
    launcher.addEventListener("focus", boot);
    root.appendChild(launcher);
    document.body.appendChild(host);
    if (window.requestIdleCallback) requestIdleCallback(boot, { timeout: 3000 });
    else setTimeout(boot, 1);
  }

  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
