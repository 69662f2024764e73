// The first script of the widget's frame, inline in its <head>: picks the Python runtime and asks
// for every file of it at once, as soon as these first bytes of the page have arrived rather
// than once the whole page has been read (on a slow link the rest of it is tens of ms more).
// PyScript + MicroPython where WebAssembly runs, else (iOS Lockdown Mode, a policy turning it
// off, a JIT-less browser) the same app modules on Brython: each downloads only its own files.
// frame.js starts the runtime picked (`helpwayRuntime`) once the panel's shell is there.
(function () {
  "use strict";
  const runtimes = JSON.parse(document.getElementById("hw-runtimes").textContent);
  const wasm = webAssembly();
  const pyscript = runtimes.pyscript;
  const brython = runtimes.brython;
  const modules = wasm ? pyscript.modules : Object.values(brython.modules);
  modules.forEach((href) => preload("modulepreload", href));
  // As PyScript fetches them (CORS mode, same-origin credentials), so the fetch takes the
  // preloaded response; Brython's scripts are classic scripts.
  if (wasm) pyscript.fetches.forEach((href) => preload("preload", href, "fetch"));
  else brython.scripts.forEach((href) => preload("preload", href, "script"));
  window.helpwayRuntime = wasm
    ? { name: "micropython", entry: pyscript.core }
    : { name: "brython", entry: brython.boot };

  function preload(rel, href, as) {
    const link = document.createElement("link");
    link.rel = rel;
    link.href = href;
    if (as) link.as = as;
    if (as === "fetch") link.crossOrigin = "anonymous";
    document.head.appendChild(link);
  }

  // Whether WebAssembly is there and compiles: the smallest module (magic number, version 1).
  function webAssembly() {
    try {
      return WebAssembly.validate(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
    } catch {
      return false;
    }
  }
})();
