// The panel's shell inside the widget frame, until and beside the Python app.
//
// The loader on the host page frames this document (the edge's origin) and talks to it only by
// `postMessage`, each side sending to the other's origin only and hearing only the other's
// window from that origin: {helpway: "open", open}, {helpway: "call", call: [command, arg,
// typeof fn]} (each call of the page's `Helpway`, checked here: `called`; no `call` when the
// loader could not post its arguments) and {helpway: "page", url} (a single-page app
// navigated) from the loader;
// {helpway: "shell" | "ready" | "close" | "forgot"}, {helpway: "look", css, label, text} (the
// launcher's rules for the site's colour and side, its label and text) and {helpway: "message",
// message} from here. The app reads what it needs from <body>: `data-site`, `data-api`, `data-page`
// (the host page's URL), `data-config` (the site's config, when the loader carried one: the frame's
// address has it), `open`, `data-queued` (the texts sent before it was ready, JSON), `data-user`
// (the identity, JSON), `data-reset` (a reset came before it was ready: a call, or `reset` in the
// frame's address, a reset of an earlier page the loader kept because that page went away before
// saying it was done), and hears "helpway:open", "helpway:identify", "helpway:reset" and
// "helpway:page" (`data-page` changed); it marks `data-ready` and the launcher's look
// (`data-look`), which are passed on to the loader, and tells news through `helpwayTell(json)`
// ({helpway: "forgot"} once a reset is done: the loader stops keeping it).
// This script also starts Python, on the runtime frame_runtime.js picked and preloaded
// (`startPython`).
(function () {
  "use strict";
  const body = document.body;
  const panel = document.querySelector(".hw-panel");
  const input = panel.querySelector(".hw-input");
  const text = shellText();
  const params = new URLSearchParams(location.hash.slice(1));
  const claimed = params.get("page") || "";
  // The origin that framed us, as the browser says; the edge trusts only that one.
  const framer = parent === window ? "" : origin(location.ancestorOrigins?.[0] || document.referrer);
  // Where we post and whom we hear: that origin, else (a browser that says neither) the
  // loader's claim, which a page of another origin cannot receive messages for anyway.
  const host = framer || (parent === window ? "" : origin(claimed));
  body.setAttribute("data-site", params.get("site") || "");
  body.setAttribute("data-api", location.origin);
  body.setAttribute("data-page", pageUrl());
  // The site's config the edge inlined in the loader it served for the site, for the app.
  if (params.has("config")) body.setAttribute("data-config", params.get("config"));
  // A reset an earlier page of the host asked for, then went away before it was done (a
  // sign-out): forgotten before the app asks for any session.
  if (params.get("reset")) reset();

  function origin(url) {
    try {
      const found = new URL(url).origin;
      return found === "null" ? "" : found;
    } catch {
      return "";
    }
  }

  // The page we run on, as the edge checks it against the site's allowed origins: the URL the
  // loader passed, if it is on the origin that framed us, else that origin.
  function pageUrl(url = claimed) {
    if (parent === window) return location.href;
    if (!framer) return "";
    try {
      if (new URL(url).origin === framer) return url;
    } catch {}
    return framer + "/";
  }

  // A single-page app moved to another page of its own: the app tells the edge, for the agent.
  function moved(url) {
    if (typeof url !== "string" || pageUrl(url) === body.getAttribute("data-page")) return;
    body.setAttribute("data-page", pageUrl(url));
    body.dispatchEvent(new CustomEvent("helpway:page"));
  }

  // Until the app knows the site's languages it says the shell in the browser's language, if
  // the widget has it (the app then settles on one the site allows).
  function shellText() {
    const texts = JSON.parse(document.getElementById("hw-shell-text").textContent);
    const wanted = (navigator.languages || []).map((tag) => tag.toLowerCase().split(/[-_]/)[0]);
    const lang = wanted.find((code) => Object.hasOwn(texts, code)) || "en";
    document.documentElement.lang = lang;
    document.documentElement.dir = texts[lang].dir;
    const say = (attr, apply) =>
      document.querySelectorAll(`[${attr}]`).forEach((node) => apply(node, texts[lang][node.getAttribute(attr)]));
    say("data-text", (node, value) => (node.textContent = value));
    say("data-aria", (node, value) => node.setAttribute("aria-label", value));
    say("data-placeholder", (node, value) => node.setAttribute("placeholder", value));
    return texts[lang];
  }

  // Only to the host page's origin: a page navigated elsewhere under us hears nothing.
  function tell(message) {
    if (host) parent.postMessage(message, host);
  }

  // The app's news for the host page, as JSON (MicroPython hands over a string).
  window.helpwayTell = (json) => {
    try {
      tell(JSON.parse(json));
    } catch {}
  };

  function setOpen(open) {
    if (open === body.hasAttribute("open")) return;
    body.toggleAttribute("open", open);
    if (open) {
      input.focus();
      body.dispatchEvent(new CustomEvent("helpway:open"));
    }
  }

  function close() {
    setOpen(false);
    tell({ helpway: "close" });
  }

  // Until the app takes over, each message sent is shown on its way and kept, in order, for
  // the app to send (`data-queued`, a JSON list of texts); the box is free for the next one.
  const queued = [];
  function queue(event) {
    if (body.hasAttribute("data-ready")) return;
    event.preventDefault();
    const message = input.value;
    if (!message.trim()) return;
    queued.push(message);
    body.setAttribute("data-queued", JSON.stringify(queued));
    input.value = "";
    panel.querySelector(".hw-log").appendChild(waiting(message));
  }

  // A message on its way, drawn as the app draws one (chat_dom); the app redraws the log.
  function waiting(message) {
    const row = document.createElement("div");
    const bubble = document.createElement("div");
    const line = document.createElement("div");
    const meta = document.createElement("div");
    row.className = "hw-row hw-visitor hw-mine hw-sending";
    row.setAttribute("data-role", "visitor");
    bubble.className = "hw-bubble";
    line.className = "hw-text";
    line.textContent = message;
    meta.className = "hw-meta";
    meta.textContent = text.sending;
    bubble.appendChild(line);
    row.append(bubble, meta);
    return row;
  }

  function unavailable() {
    const notice = panel.querySelector(".hw-notice");
    if (notice) notice.textContent = text.shell_unavailable;
    panel.querySelector(".hw-sub").textContent = "";
  }

  // Python starts here, on the runtime frame_runtime.js picked (its files are on their way):
  // PyScript's entry module, which runs the page's inline `<script type="mpy">`, or Brython's
  // boot. `data-runtime` says which.
  function startPython() {
    const runtime = window.helpwayRuntime;
    if (runtime.name === "micropython") quietPyScriptDatabase();
    const boot = document.createElement("script");
    boot.type = "module";
    boot.src = runtime.entry;
    body.setAttribute("data-runtime", runtime.name);
    document.head.appendChild(boot);
  }

  // PyScript's core opens an IndexedDB database as it loads ("IDBMap/@pyscript.fs": where it
  // remembers local folders a page mounted, which the widget never does). Where the browser
  // refuses the frame storage that open fails, and PyScript's handler of the failure throws (it
  // dispatches again the event being dispatched) and rejects a promise nobody awaits: two
  // uncaught errors in the frame's console for nothing. The failure stops here, before that
  // handler hears it; the database stays unopened, as unused as it would have been. No config
  // option turns it off: the open is a side effect of importing PyScript's core.
  function quietPyScriptDatabase() {
    const open = IDBFactory.prototype.open;
    IDBFactory.prototype.open = function (name, ...rest) {
      const request = open.call(this, name, ...rest);
      if (String(name).startsWith("IDBMap/@pyscript")) {
        request.addEventListener("error", (event) => event.stopImmediatePropagation());
      }
      return request;
    };
  }

  // The page's API as the loader has it (its header says what each call does), for the warnings.
  const USAGE =
    'the calls are Helpway("open"), Helpway("close"), Helpway("reset"), ' +
    'Helpway("identify", {user_id, user_hash, name, email}) with strings, and ' +
    'Helpway("on", event, function) for the events "open", "close", "message" and "unread"';
  const EVENTS = ["open", "close", "message", "unread"];
  const IDENTITY = ["user_id", "user_hash", "name", "email"];

  // A call of the page's `Helpway`: `identify` and `reset` act here (the loader does the rest);
  // a bad call is said in the console, with the calls there are, and does nothing. The host
  // page's developer sees it there (browsers show a frame's console messages with the page's).
  function called(call) {
    const problem = callProblem(call);
    if (problem) console.warn(`Helpway: ${problem}; ${USAGE}.`);
    else if (call[0] === "identify") identify(call[1]);
    else if (call[0] === "reset") reset();
  }

  // What is wrong with a call ([command, arg, typeof fn]), "" if nothing.
  function callProblem(call) {
    if (!Array.isArray(call)) {
      return "a call's arguments could not be read (a function or a symbol where a name or an object belongs?)";
    }
    const [command, arg, fn] = call;
    if (command === "on") {
      if (!EVENTS.includes(arg)) return `Helpway("on", …) has no event ${said(arg)}`;
      if (fn !== "function") return `Helpway("on", ${said(arg)}, …) needs a function, not ${fn === "undefined" ? "nothing" : kind(fn)}`;
      return "";
    }
    if (command === "identify") {
      if (typeof arg !== "object" || arg === null || Array.isArray(arg)) {
        return `Helpway("identify", …) needs an object, not ${said(arg)}`;
      }
      if (typeof arg.user_id !== "string" || !arg.user_id) return 'Helpway("identify", …) needs a user_id string';
      const wrong = IDENTITY.find((key) => arg[key] !== undefined && typeof arg[key] !== "string");
      return wrong ? `Helpway("identify", …) needs ${wrong} as a string, not ${said(arg[wrong])}` : "";
    }
    return ["open", "close", "reset"].includes(command) ? "" : `there is no command ${said(command)}`;
  }

  // A value of a call, as a warning names it.
  function said(value) {
    if (typeof value === "string") return JSON.stringify(value);
    if (value === null || value === undefined) return String(value);
    return Array.isArray(value) ? "an array" : kind(typeof value);
  }

  // A value's type (`typeof`), with its article.
  function kind(type) {
    return type === "object" ? "an object" : `a ${type}`;
  }

  // Only the string fields the visitor session takes, for the app to send.
  function identify(user) {
    const fields = {};
    for (const key of IDENTITY) {
      if (typeof user[key] === "string") fields[key] = user[key];
    }
    body.setAttribute("data-user", JSON.stringify(fields));
    body.dispatchEvent(new CustomEvent("helpway:identify"));
  }

  function reset() {
    body.removeAttribute("data-user");
    body.setAttribute("data-reset", "");
    body.dispatchEvent(new CustomEvent("helpway:reset"));
  }

  window.addEventListener("message", (event) => {
    const data = event.data;
    if (event.source !== parent || event.origin !== host || !data) return;
    if (data.helpway === "open") setOpen(data.open === true);
    else if (data.helpway === "call") called(data.call);
    else if (data.helpway === "page") moved(data.url);
  });
  // The launcher's look (the app's `launcher.look`, as JSON) goes to the loader as it is.
  new MutationObserver(() => {
    if (body.hasAttribute("data-ready")) tell({ helpway: "ready" });
    if (body.hasAttribute("data-look")) helpwayTell(body.getAttribute("data-look"));
  }).observe(body, { attributes: true, attributeFilter: ["data-ready", "data-look"] });

  panel.querySelector(".hw-close").addEventListener("click", close);
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") close();
  });
  panel.querySelector(".hw-composer").addEventListener("submit", queue);
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) queue(event);
  });
  // The composer comes disabled (frame.html): a message sent from here on waits for the app.
  input.disabled = false;
  panel.querySelector(".hw-send").disabled = false;
  startPython();
  setTimeout(() => {
    if (!body.hasAttribute("data-ready")) unavailable();
  }, 20000);
  tell({ helpway: "shell" });
})();
