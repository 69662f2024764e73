// The synchronous browser calls the Python apps make that can throw.
//
// MicroPython cannot catch an exception thrown by a synchronous JavaScript call: it aborts the
// whole script. So every such call is wrapped here and reports failure as a value instead.
// Loaded by PyScript (`js_modules`) and imported in Python as `pyscript.js_modules.bridge`.

const memory = new Map();

function area(name) {
  // Reading `localStorage` itself throws when the browser blocks storage for the site.
  try {
    const store = globalThis[name];
    store.setItem("helpway:probe", "1");
    store.removeItem("helpway:probe");
    return store;
  } catch {
    return null;
  }
}

// A string store on localStorage or sessionStorage, kept in memory when the browser refuses
// storage (private modes, blocked site data, a full quota): the page still works, it forgets on
// reload.
export function storage(name) {
  const store = area(name);
  const slot = (key) => name + "\n" + key;
  return {
    persistent: store !== null,
    get(key) {
      let value = null;
      try {
        value = store ? store.getItem(key) : null;
      } catch {}
      return value ?? memory.get(slot(key)) ?? null;
    },
    set(key, value) {
      memory.set(slot(key), value);
      try {
        store?.setItem(key, value);
      } catch {}
    },
    remove(key) {
      memory.delete(slot(key));
      try {
        store?.removeItem(key);
      } catch {}
    },
  };
}

// `new WebSocket` throws on a URL the page's CSP forbids: null then, like a failed connect.
export function openSocket(url) {
  try {
    return new WebSocket(url);
  } catch {
    return null;
  }
}

// `send` throws unless the socket is open.
export function send(socket, text) {
  try {
    socket.send(text);
    return true;
  } catch {
    return false;
  }
}

export function close(socket, code) {
  try {
    socket.close(code);
  } catch {}
}

// Entropy for client message ids (MicroPython's `random` may start from the same seed on
// every page load).
export function entropy() {
  try {
    return crypto.getRandomValues(new Uint32Array(1))[0] >>> 1;
  } catch {
    return Math.floor(Math.random() * 2147483647);
  }
}
