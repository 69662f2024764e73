// Starts the widget on Brython, for a browser without WebAssembly (frame.js decides).
//
// The plan (`#hw-runtimes` in frame.html, written by the build) names Brython's core, the part
// of its standard library the shims use, and the app's virtual files: the app modules as they
// are, beside the shims standing in for PyScript's `js`, `jsffi`, `polyscript`, and for
// `asyncio` and `json` (see the package's `brython/`). They load in parallel and run in order;
// the app's JavaScript modules (bridge.js) are imported first, for `polyscript.js_modules`.
const plan = JSON.parse(document.getElementById("hw-runtimes").textContent).brython;

function script(src) {
  return new Promise((resolve, reject) => {
    const tag = document.createElement("script");
    tag.src = src;
    tag.async = false; // executed in order, fetched at once
    tag.onload = resolve;
    tag.onerror = () => reject(new Error("helpway: cannot load " + src));
    document.head.appendChild(tag);
  });
}

// The Task whose coroutine is running: the `mark` local of its frame, found on Brython's frame
// stack (see the `asyncio` shim).
globalThis.helpwayTaskOf = (mark) => {
  for (let link = $B.frame_obj; link; link = link.prev) {
    const locals = link.frame[1];
    if (locals && Object.hasOwn(locals, mark)) return locals[mark];
  }
  return null;
};

const modules = Object.entries(plan.modules).map(async ([name, url]) => [name, await import(url)]);
const [loaded] = await Promise.all([Promise.all(modules), ...plan.scripts.map(script)]);
globalThis.helpwayModules = Object.fromEntries(loaded);
// Brython 3.14 hands Python's None to JavaScript functions as its own None object, where
// PyScript passes null (`insertBefore(node, None)` appends there): made null here, once.
const $B = globalThis.__BRYTHON__;
const toJs = $B.pyobj2jsobj;
$B.pyobj2jsobj = (value) => (value === $B.builtins.None ? null : toJs(value));
globalThis.brython({ debug: 0 });
$B.runPythonSource("import " + plan.entry);
