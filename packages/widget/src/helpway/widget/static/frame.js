// The panel's shell inside the widget frame, until and beside the Python app.
//
// The loader on the host page frames this document (the edge's origin) and talks to it only by
// `postMessage`: {helpway: "open", open} from the loader; {helpway: "shell" | "ready" |
// "close"} and {helpway: "accent", color} from here. The app reads what it needs from <body>:
// `data-site`, `data-api`, `data-page` (the host page's URL), `open`, `data-queued` (a message
// was sent before it was ready), and hears "helpway:open"; it marks `data-ready` and
// `data-accent`, which are passed on to the loader.
(function () {
  "use strict";
  const body = document.body;
  const panel = document.querySelector(".hw-panel");
  const input = panel.querySelector(".hw-input");
  const params = new URLSearchParams(location.hash.slice(1));
  body.setAttribute("data-site", params.get("site") || "");
  body.setAttribute("data-api", location.origin);
  body.setAttribute("data-page", pageUrl(params.get("page") || ""));

  // The page we run on, as the edge checks it against the site's allowed origins: the URL the
  // loader passed, if it is on the origin the browser says framed us, else that origin.
  function pageUrl(claimed) {
    if (parent === window) return location.href;
    const framer = location.ancestorOrigins
      ? location.ancestorOrigins[0]
      : document.referrer && new URL(document.referrer).origin;
    if (!framer) return "";
    try {
      if (new URL(claimed).origin === framer) return claimed;
    } catch {}
    return framer + "/";
  }

  function tell(message) {
    if (parent !== window) parent.postMessage(message, "*");
  }

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

  // Until the app takes over, a message typed and sent waits in the box, marked for the app.
  function queue(event) {
    if (body.hasAttribute("data-ready")) return;
    event.preventDefault();
    body.setAttribute("data-queued", "");
  }

  function unavailable() {
    const notice = panel.querySelector(".hw-notice");
    if (notice) notice.textContent = "The chat is unavailable right now. Please try again later.";
    panel.querySelector(".hw-sub").textContent = "";
  }

  window.addEventListener("message", (event) => {
    if (event.source !== parent || !event.data || event.data.helpway !== "open") return;
    setOpen(event.data.open === true);
  });
  new MutationObserver(() => {
    if (body.hasAttribute("data-ready")) tell({ helpway: "ready" });
    const color = body.getAttribute("data-accent");
    if (color) tell({ helpway: "accent", color });
  }).observe(body, { attributes: true, attributeFilter: ["data-ready", "data-accent"] });

  panel.querySelector(".hw-close").addEventListener("click", close);
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") close();
  });
  panel.querySelector(".hw-composer").addEventListener("submit", queue);
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) queue(event);
  });
  if (typeof WebAssembly !== "object") unavailable();
  setTimeout(() => {
    if (!body.hasAttribute("data-ready")) unavailable();
  }, 20000);
  tell({ helpway: "shell" });
})();
