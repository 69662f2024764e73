// Run the shared codec (wire.py + wire_spec.py + limits.py + errors.py) under real MicroPython:
// the npm WebAssembly build the widget ships, loaded in Node.
//
// usage: node micropython_wire.mjs <micropython.mjs> <codec dir> <cases.json>
// cases.json is a JSON array of {side: "client" | "server", raw: string}. Prints a JSON array
// holding, per case, the text MicroPython's json.dumps made of [verdict, decoded frame or null]
// (left as text so JavaScript numbers never round big integers); verdict is "ok" or the codec's
// error code.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [runtime, codecDir, casesPath] = process.argv.slice(2);
const { loadMicroPython } = await import(pathToFileURL(runtime).href);
// The codec prints nothing; anything MicroPython prints is a crash report, so keep it on stderr.
const report = (line) => process.stderr.write(line + "\n");
const mp = await loadMicroPython({ stdout: report, stderr: report });

mp.FS.mkdir("/codec");
for (const name of ["errors", "limits", "wire_spec", "wire"]) {
  mp.FS.writeFile(`/codec/${name}.py`, readFileSync(join(codecDir, `${name}.py`)));
}
mp.FS.writeFile(
  "/codec/corpus_probe.py",
  [
    "import json",
    "import wire",
    "import wire_spec",
    "",
    "def verdict(raw, side):",
    "    frames = wire_spec.CLIENT if side == 'client' else wire_spec.SERVER",
    "    frame, problem = wire.decode(raw, frames)",
    "    if problem is not None:",
    "        return json.dumps([problem[0], None])",
    "    return json.dumps(['ok', frame])",
    "",
  ].join("\n"),
);
mp.runPython("import sys\nsys.path.insert(0, '/codec')");
const probe = mp.pyimport("corpus_probe");

const cases = JSON.parse(readFileSync(casesPath, "utf8"));
try {
  const results = cases.map(({ side, raw }) => probe.verdict(raw, side));
  process.stdout.write(JSON.stringify(results));
} catch (error) {
  // A Python exception escaping the codec: report its traceback, not the runtime's JS stack.
  report(error.message);
  process.exit(1);
}
