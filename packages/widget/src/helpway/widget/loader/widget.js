/*! Helpway chat widget loader */
// The only script a site owner pastes. It stays tiny and dependency-free: it draws the launcher
// at once in a shadow root and frames the panel, a document of the edge's own origin where the
// Python app (PyScript + MicroPython) runs, apart from the host page's scripts, styles and
// builtins. The frame loads when the browser is idle, on hover, focus or click, whichever comes
// first; its panel shows as soon as it is clicked. Host and frame speak only `postMessage`.
// Styles go through a constructed stylesheet, so a strict style-src CSP does not block them.
// The host page may have replaced builtins (Array.prototype, JSON): this script uses none of
// those, only the DOM.
//
// The page's API: `Helpway("open" | "close" | "reset")`, `Helpway("identify", {user_id,
// user_hash, name, email})`, `Helpway("on", "open" | "close" | "message" | "unread", fn)`, which
// returns a function that unsubscribes. Calls made through the stub before this script ran
// (`Helpway.q`) are replayed once the launcher is drawn. Handlers get the message or the
// unread count. Every call is also posted to the frame, which warns in the console of a bad
// one: its checks and their words would not fit this file's budget.
(function () {
  "use strict";
  // Included twice, or re-run by a single-page app: the first copy wins.
  var KEY = Symbol.for("helpway.widget");
  var script = document.currentScript;
  if (window[KEY] || !script || !script.src) return;
  window[KEY] = true;
  // The loader the edge serves for a site (`/widget/SITE.js`) carries that site's look and
  // config here, so the launcher is dressed and the panel greets with no request of its own:
  // {site, look: {css, label, text}, frame: "&config=" and the config as URL-encoded JSON, for
  // the frame's address}.
  var BOOT = null;
  var site = script.getAttribute("data-site") || (BOOT && BOOT.site) || "";
  var calls = (window.Helpway && window.Helpway.q) || [];
  // Each subscription by its id, as [event, fn]: the page's event name is compared, never made
  // a key ("__proto__" would reach every object of the page; an object whose toString throws,
  // or one without it, would throw).
  var handlers = {};
  var subscribed = 0;
  var unread = 0;
  // What waits for the frame's shell to listen, in order.
  var outbox = [];
  var listening = false;

  var BUBBLE = "M5 3h14a3 3 0 0 1 3 3v9a3 3 0 0 1-3 3h-8l-5 4v-4a3 3 0 0 1-3-3V6a3 3 0 0 1 3-3z";
  var CROSS = "M6 6l12 12M18 6L6 18";
  var CSS =
    ":host{all:initial!important;display:block!important;position:fixed!important;right:20px!important;bottom:20px!important;z-index:2147483647!important;--hw-accent:#2563eb}" +
    "[hidden]{display:none!important}:focus-visible{outline:2px solid var(--hw-accent);outline-offset:2px}" +
    "button{position:relative;width:56px;height:56px;border:0;border-radius:50%;background:var(--hw-accent);color:#fff;display:grid;place-items:center;cursor:pointer;box-shadow:0 6px 20px #0003}" +
    ".n{position:absolute;top:-4px;right:-4px;min-width:10px;padding:0 5px;border-radius:10px;background:#d22;font:700 12px/20px sans-serif}" +
    "svg{width:28px;height:28px;fill:currentColor}.x{fill:none;stroke:currentColor;stroke-width:2.2;stroke-linecap:round}" +
    ":host([open]) .b,.x{display:none}:host([open]) .x{display:block}" +
    "iframe{position:absolute;right:0;bottom:72px;width:370px;height:580px;max-height:calc(100vh - 110px);border:0;border-radius:16px;background:#fff;box-shadow:0 12px 48px #0003;color-scheme:light}" +
    "@media (max-width:480px){:host([open]){inset:0!important}:host([open]) button{display:none}iframe{position:fixed;inset:0;width:100%;height:100%;max-height:none;border-radius:0}}";

  var src = new URL(script.src);
  var host = document.createElement("helpway-widget");
  var root = host.attachShadow({ mode: "open" });
  var launcher, label, frame, badge, sheet;

  // An element (an SVG one with `svg`) with its attributes.
  function el(tag, attrs, svg) {
    var node = svg ? document.createElementNS("http://www.w3.org/2000/svg", tag) : document.createElement(tag);
    for (var name in attrs) node.setAttribute(name, attrs[name]);
    return node;
  }

  // `Helpway("reset")` until the frame says it forgot the visitor, in the host page's own
  // storage: a page that resets and goes away at once (a sign-out) may be gone before its frame
  // hears of it, so the next page's frame is told in its address and forgets before it asks for
  // any session. A flag only: nothing of the visitor is ever here. `op`: "get", "set", "remove".
  function pending(op) {
    try {
      return localStorage[op + "Item"]("helpway:" + site + ":reset", 1);
    } catch (e) {}
  }

  function boot() {
    if (frame) return;
    frame = el("iframe", { title: "Chat", hidden: "", src: src.origin + "/w/frame.html#" + new URLSearchParams({ site: site, page: location.href, reset: pending("get") || "" }) + (BOOT ? BOOT.frame : "") });
    root.appendChild(frame);
  }

  // To the frame, only on the edge's origin; held until its shell listens (this frames nothing:
  // the frame comes when idle, hovered, focused or opened). What cannot be posted (a function
  // or a symbol in a call) goes as a call the frame cannot read, which it warns of.
  function post(message) {
    if (!listening) outbox[outbox.length] = message;
    else try {
      frame.contentWindow.postMessage(message, src.origin);
    } catch (e) {
      post({ helpway: "call" });
    }
  }

  function emit(name, detail) {
    for (var id in handlers) {
      try {
        if (handlers[id][0] === name) handlers[id][1](detail);
      } catch (e) {}
    }
  }

  function count(n) {
    if (n === unread) return;
    unread = n;
    badge.textContent = n;
    badge.hidden = !n;
    emit("unread", n);
  }

  function toggle(open) {
    boot();
    if (open === host.hasAttribute("open")) return;
    host.toggleAttribute("open", open);
    frame.hidden = !open;
    launcher.setAttribute("aria-expanded", open);
    if (open) {
      count(0);
      frame.focus();
    } else launcher.focus();
    post({ helpway: "open", open: open });
    emit(open ? "open" : "close");
  }

  // Every call goes to the frame as [command, arg, typeof fn]: frame.js acts on `identify` and
  // `reset` and warns in the console of a bad call (`called`). Here a bad one does nothing and
  // throws nothing.
  function api(command, arg, fn) {
    var call = { helpway: "call", call: [command, arg, typeof fn] };
    if (command === "on" && typeof fn == "function") {
      post(call);
      var id = ++subscribed;
      handlers[id] = [arg, fn];
      return function () {
        delete handlers[id];
      };
    }
    if (command === "reset") pending("set");
    if (!launcher) calls[calls.length] = [command, arg];
    else {
      // Closed before the frame hears of a reset: it then waits for the next open to start over.
      if (command === "open" || command === "close") toggle(command === "open");
      else if (command === "reset") {
        toggle(false);
        count(0);
      }
      post(call);
    }
  }

  // The site's look: the launcher's label and text, and the rules for its colour, side and text
  // (made by the app's `launcher` module, outside this file's budget).
  function dress(look) {
    sheet.replaceSync(CSS + look.css);
    launcher.setAttribute("aria-label", look.label);
    label.textContent = look.text;
  }

  function heard(event) {
    var data = event.data;
    if (!frame || event.source !== frame.contentWindow || event.origin !== src.origin || !data) return;
    if (data.helpway === "shell") {
      // What was said before (opening, closing, identify, reset) goes now, in order.
      listening = true;
      for (var i = 0; i < outbox.length; i++) post(outbox[i]);
      outbox = [];
    } else if (data.helpway === "close") toggle(false);
    else if (data.helpway === "ready") host.setAttribute("data-ready", "");
    else if (data.helpway === "forgot") pending("remove");
    // Again in the visitor's language, once the app knows it.
    else if (data.helpway === "look") dress(data);
    else if (data.helpway === "message" && data.message) {
      emit("message", data.message);
      if (!host.hasAttribute("open") && data.message.role !== "visitor") count(unread + 1);
    }
  }

  function mount() {
    host.setAttribute("data-site", site);
    // Never a <style> (a strict CSP would block it): browsers without constructed sheets
    // (before Safari 16.4, Firefox 101) are not served.
    sheet = new CSSStyleSheet();
    root.adoptedStyleSheets = [sheet];
    launcher = el("button", { type: "button", "aria-label": "Open chat", "aria-expanded": "false" });
    badge = el("span", { class: "n", hidden: "" });
    label = el("span", {});
    // One icon, the bubble or (open) the cross; a button's insides are no part of its name.
    var svg = el("svg", { viewBox: "0 0 24 24" }, 1);
    svg.append(el("path", { d: BUBBLE, class: "b" }, 1), el("path", { d: CROSS, class: "x" }, 1));
    launcher.append(svg, label, badge);
    launcher.addEventListener("click", function () {
      toggle(!host.hasAttribute("open"));
    });
    launcher.addEventListener("pointerenter", boot);
    launcher.addEventListener("focus", boot);
    root.appendChild(launcher);
    // Its rules parsed once, with the site's look when the edge inlined it.
    BOOT ? dress(BOOT.look) : sheet.replaceSync(CSS);
    window.addEventListener("message", heard);
    document.body.appendChild(host);
    for (var i = 0; i < calls.length; i++) api(calls[i][0], calls[i][1], calls[i][2]);
    // Where there is no requestIdleCallback (Safari), setTimeout takes the options as no delay.
    (window.requestIdleCallback || setTimeout)(boot, { timeout: 3000 });
  }

  // A single-page app's navigations (pushState, back, forward): the frame learns the page the
  // visitor is on now, for the agent. Browsers without the Navigation API tell the page at load.
  window.navigation && navigation.addEventListener("currententrychange", function () {
    post({ helpway: "page", url: location.href });
  });

  // The first connection to the edge starts now, before the frame asks for it.
  document.head.appendChild(el("link", { rel: "preconnect", href: src.origin }));
  window.Helpway = api;

  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
