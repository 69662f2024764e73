// Run Python test modules under real MicroPython: the npm WebAssembly build the widget ships,
// loaded in Node.
//
// usage: node micropython_tests.mjs <micropython.mjs> <plan.json>
// plan.json: {"files": {"name.py": "/path/on/disk", ...}, "tests": ["test_module", ...],
//             "compile": ["module", ...]}
// Every file is placed flat on MicroPython's path. Each test module's `test_*` functions run in
// name order; each module in "compile" is only compiled (browser modules need `js`).
// Prints JSON: {"tests": {"module.test_name": null | traceback}, "compile": {"module": null |
// error}}.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [runtime, planPath] = process.argv.slice(2);
const plan = JSON.parse(readFileSync(planPath, "utf8"));
const { loadMicroPython } = await import(pathToFileURL(runtime).href);
const report = (line) => process.stderr.write(line + "\n");
const mp = await loadMicroPython({ stdout: report, stderr: report, heapsize: 16 * 1024 * 1024 });

mp.FS.mkdir("/t");
for (const [name, path] of Object.entries(plan.files)) {
  mp.FS.writeFile(`/t/${name}`, readFileSync(path));
}
mp.FS.writeFile(
  "/t/micropython_runner.py",
  [
    "import io",
    "import json",
    "import sys",
    "",
    "def failure(error):",
    "    out = io.StringIO()",
    "    sys.print_exception(error, out)",
    "    return out.getvalue()",
    "",
    "def run_tests(name):",
    "    results = {}",
    "    try:",
    "        module = __import__(name)",
    "    except Exception as error:",
    "        return json.dumps({name + '.<import>': failure(error)})",
    "    for attr in sorted(dir(module)):",
    "        if attr.startswith('test_'):",
    "            try:",
    "                getattr(module, attr)()",
    "                results[name + '.' + attr] = None",
    "            except Exception as error:",
    "                results[name + '.' + attr] = failure(error)",
    "    return json.dumps(results)",
    "",
    "def compiles(name):",
    "    with open('/t/' + name + '.py') as source:",
    "        text = source.read()",
    "    try:",
    "        compile(text, name + '.py', 'exec')",
    "    except Exception as error:",
    "        return failure(error)",
    "    return None",
    "",
  ].join("\n"),
);
mp.runPython("import sys\nsys.path.insert(0, '/t')");
const runner = mp.pyimport("micropython_runner");

const out = { tests: {}, compile: {} };
for (const name of plan.tests) Object.assign(out.tests, JSON.parse(runner.run_tests(name)));
for (const name of plan.compile) out.compile[name] = runner.compiles(name);
process.stdout.write(JSON.stringify(out));
