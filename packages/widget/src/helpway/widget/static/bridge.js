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

// One tab of the browser at a time, for the site's first visitor token: two tabs opened at once
// with none must make one visitor, not two (the second asks with the token the first stored).
// Resolves, once this tab holds `name` (or after `waitMs`, held by nobody then: two visitors
// beat no chat), to the function that lets it go. Web Locks where the browser has them (shared
// by the frames of one site, like their storage); else a claim in localStorage.
export async function hold(name, waitMs) {
  const locks = globalThis.navigator?.locks;
  if (!locks) return claim(name, waitMs);
  let release = () => {};
  const held = new Promise((resolve) => (release = resolve));
  const waited = new AbortController();
  setTimeout(() => waited.abort(), waitMs);
  await new Promise((granted) => {
    try {
      locks.request(name, { signal: waited.signal }, () => (granted(), held)).catch(granted);
    } catch {
      granted(); // refused outright (a frame the browser gives no storage): nobody to wait for
    }
  });
  return release;
}

// Long enough for a claim written by one tab to reach another's reads (storage is shared through
// the browser's process, not at once).
const CLAIM_SETTLE_MS = 150;

// The fallback for `hold`: write our claim where every tab reads, wait for the writes of tabs
// racing us to land, and hold it if ours is still the one there (the last writer wins, for every
// reader alike); else wait while another's claim is live. A claim ends when released or when its
// time (`waitMs`) is up. Without storage there is nothing to share: nobody is waited for.
async function claim(name, waitMs) {
  const store = area("localStorage");
  if (!store) return () => {};
  const key = name + ":claim";
  const me = String(entropy()) + "-" + Date.now();
  const deadline = Date.now() + waitMs;
  const read = () => {
    try {
      const [who, until] = (store.getItem(key) || " 0").split(" ");
      return Number(until) > Date.now() ? who : "";
    } catch {
      return "";
    }
  };
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  while (Date.now() < deadline) {
    if (!read()) {
      try {
        store.setItem(key, me + " " + (Date.now() + waitMs));
      } catch {
        return () => {};
      }
      await sleep(CLAIM_SETTLE_MS);
      if (read() === me) {
        return () => {
          try {
            if (read() === me) store.removeItem(key);
          } catch {}
        };
      }
    }
    await sleep(50);
  }
  return () => {};
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

// The clock in milliseconds, as a decimal string: MicroPython truncates a JavaScript number
// this large when it becomes a Python int.
export function now() {
  return String(Date.now());
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

// The browser's IANA time zone ("" if it will not say).
export function timeZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch {
    return "";
  }
}

// HH:MM now in time zone `zone` ("" for a zone this browser does not know: it throws).
export function localTime(zone) {
  try {
    const options = { timeZone: zone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
    return new Date().toLocaleTimeString("en-GB", options);
  } catch {
    return "";
  }
}

// "default", "granted", "denied", or "unsupported" (no Notification API, or it throws).
export function notificationPermission() {
  try {
    return globalThis.Notification ? Notification.permission : "unsupported";
  } catch {
    return "unsupported";
  }
}

// Ask for permission; browsers allow it only from a user action, which is where it is called.
export async function askNotifications() {
  try {
    return await Notification.requestPermission();
  } catch {
    return "denied";
  }
}

// What a click on a notification does besides focusing the tab: the console opens the
// conversation the notification's tag names. One handler for all, so Python makes one proxy.
let clicked = null;
export function onNotificationClick(handler) {
  clicked = handler;
}

// Show a notification; clicking it brings the console tab forward and hands its tag on.
export function notify(title, body, tag) {
  try {
    const shown = new Notification(title, { body, tag });
    shown.onclick = () => {
      globalThis.focus();
      shown.close();
      try {
        clicked?.(tag);
      } catch {}
    };
    return true;
  } catch {
    return false;
  }
}

// A short two-note chime from an oscillator: no sound file to fetch.
let audio = null;
export function chime() {
  try {
    audio ??= new AudioContext();
    const start = audio.currentTime;
    const gain = audio.createGain();
    gain.connect(audio.destination);
    gain.gain.setValueAtTime(0.0001, start);
    gain.gain.exponentialRampToValueAtTime(0.15, start + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.45);
    for (const [frequency, at] of [
      [880, 0],
      [1320, 0.12],
    ]) {
      const tone = audio.createOscillator();
      tone.frequency.value = frequency;
      tone.connect(gain);
      tone.start(start + at);
      tone.stop(start + at + 0.3);
    }
    return true;
  } catch {
    return false;
  }
}
