/*! Helpway chat widget loader: <script src="https://EDGE/widget.js" data-site="SITE" async></script> */
// The only script a site owner pastes. It stays tiny and dependency-free: it draws the launcher
// at once in a shadow root and frames the panel, a document of the edge's own origin where the
// Python app (PyScript + MicroPython) runs, apart from the host page's scripts, styles and
// builtins. The frame loads when the browser is idle, on hover, focus or click, whichever comes
// first; its panel shows as soon as it is clicked. Host and frame speak only `postMessage`.
// Styles go through a constructed stylesheet, so a strict style-src CSP does not block them.
// The host page may have replaced builtins (Array.prototype, JSON): this script uses none of
// those, only the DOM.
(function () {
  "use strict";
  // Included twice, or re-run by a single-page app: the first copy wins.
  var KEY = Symbol.for("helpway.widget");
  var script = document.currentScript;
  if (window[KEY] || !script || !script.src) return;
  window[KEY] = true;

  var SVG = "http://www.w3.org/2000/svg";
  var BUBBLE = "M5 3h14a3 3 0 0 1 3 3v9a3 3 0 0 1-3 3h-8l-5 4v-4a3 3 0 0 1-3-3V6a3 3 0 0 1 3-3z";
  var CROSS = "M6 6l12 12M18 6L6 18";
  var CSS =
    ":host{all:initial!important;display:block!important;position:fixed!important;right:20px!important;bottom:20px!important;z-index:2147483647!important;--hw-accent:#2563eb}" +
    "[hidden]{display:none!important}:focus-visible{outline:2px solid var(--hw-accent);outline-offset:2px}" +
    "button{width:56px;height:56px;border:0;border-radius:50%;background:var(--hw-accent);color:#fff;display:grid;place-items:center;cursor:pointer;box-shadow:0 6px 20px rgba(0,0,0,.22)}" +
    "svg{width:28px;height:28px;fill:currentColor}.x{fill:none;stroke:currentColor;stroke-width:2.2;stroke-linecap:round}" +
    ":host([open]) .b,.x{display:none}:host([open]) .x{display:block}" +
    "iframe{position:absolute;right:0;bottom:72px;width:370px;height:580px;max-height:calc(100vh - 110px);border:0;border-radius:16px;background:#fff;box-shadow:0 12px 48px rgba(0,0,0,.22);color-scheme:light}" +
    "@media (max-width:480px){:host([open]){inset:0!important}:host([open]) button{display:none}iframe{position:fixed;inset:0;width:100%;height:100%;max-height:none;border-radius:0}}";

  var src = new URL(script.src);
  var host = document.createElement("helpway-widget");
  var root = host.attachShadow({ mode: "open" });
  var launcher, frame;

  function el(tag, attrs) {
    var node = document.createElement(tag);
    for (var name in attrs) node.setAttribute(name, attrs[name]);
    return node;
  }

  function icon(path, cls) {
    var svg = document.createElementNS(SVG, "svg");
    var line = document.createElementNS(SVG, "path");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("class", cls);
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
      var tag = el("style", {}); // browsers without constructable sheets
      tag.textContent = CSS;
      root.appendChild(tag);
    }
  }

  function boot() {
    if (frame) return;
    var hash = "#site=" + encodeURIComponent(script.getAttribute("data-site") || "");
    frame = el("iframe", { title: "Chat", hidden: "", src: src.origin + "/w/frame.html" + hash + "&page=" + encodeURIComponent(location.href) });
    root.appendChild(frame);
  }

  function tell() {
    if (frame) frame.contentWindow.postMessage({ helpway: "open", open: host.hasAttribute("open") }, src.origin);
  }

  function toggle(open) {
    boot();
    if (open === host.hasAttribute("open")) return;
    host.toggleAttribute("open", open);
    frame.hidden = !open;
    launcher.setAttribute("aria-expanded", String(open));
    host.dispatchEvent(new CustomEvent("helpway:" + (open ? "open" : "close")));
    if (open) frame.focus();
    else launcher.focus();
    tell();
  }

  function heard(event) {
    var data = event.data;
    if (!frame || event.source !== frame.contentWindow || event.origin !== src.origin || !data) return;
    if (data.helpway === "shell") tell();
    else if (data.helpway === "close") toggle(false);
    else if (data.helpway === "ready") host.setAttribute("data-ready", "");
    else if (data.helpway === "accent") host.style.setProperty("--hw-accent", String(data.color));
  }

  function mount() {
    host.setAttribute("data-site", script.getAttribute("data-site") || "");
    style();
    launcher = el("button", { type: "button", "aria-label": "Open chat", "aria-expanded": "false" });
    launcher.append(icon(BUBBLE, "b"), icon(CROSS, "x"));
    launcher.addEventListener("click", function () {
      toggle(!host.hasAttribute("open"));
    });
    launcher.addEventListener("pointerenter", boot);
    launcher.addEventListener("focus", boot);
    root.appendChild(launcher);
    window.addEventListener("message", heard);
    document.body.appendChild(host);
    if (window.requestIdleCallback) requestIdleCallback(boot, { timeout: 3000 });
    else setTimeout(boot, 1);
  }

  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
