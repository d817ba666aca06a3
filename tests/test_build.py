"""build.py: what lands in dist/, the runtime choice, the dev server's headers."""
from __future__ import annotations

import json
import re
import urllib.request
import zipfile

import pytest

import build
from conftest import ROOT


def test_runtime_json_points_at_files_that_exist(dist_dir):
    runtime = json.loads((dist_dir / 'runtime.json').read_text())
    assert runtime['name'] in ('offline', 'modern') and runtime['reason']
    index = dist_dir / runtime['indexURL']
    assert (index / 'pyodide.js').exists()
    if runtime['name'] == 'offline':
        for package in build.offline_package_closure(['numpy']):
            assert (index / (package + '.data')).exists()


def test_the_site_names_no_outside_address(dist_dir):
    """The built page must work offline: none of our own files may load from the internet."""
    offenders = []
    for path in list(dist_dir.glob('*.html')) + list(dist_dir.glob('js/**/*.js')) + list(dist_dir.glob('css/*.css')):
        for match in re.findall(r'https?://[^\s\'"`),]+', path.read_text()):
            # SVG/XML namespaces are names, not loads; *.example hosts (RFC 2606) only illustrate docs.
            host = re.sub(r'^https?://', '', match).split('/')[0].split(':')[0]
            if not match.startswith('http://www.w3.org/') and not host.endswith('.example'):
                offenders.append('%s: %s' % (path.name, match))
    assert not offenders


def test_engine_zip_holds_every_engine_module(dist_dir):
    with zipfile.ZipFile(dist_dir / 'py' / 'glassbox.zip') as archive:
        names = set(archive.namelist())
    package = ROOT / 'py' / 'glassbox'
    expected = {'glassbox/' + p.relative_to(package).as_posix() for p in package.rglob('*.py')}
    assert expected and expected == names


def test_vendored_d3_and_data_are_present(dist_dir):
    assert (dist_dir / 'vendor' / 'd3.min.js').stat().st_size > 100_000
    assert (dist_dir / 'data' / 'digits.gbd.gz').exists() and (dist_dir / 'data' / 'mnist10k.gbd.gz').exists()


def test_offline_package_closure_lists_dependencies_first():
    order = build.offline_package_closure(['scikit-learn'])
    assert order.index('numpy') < order.index('scipy') < order.index('scikit-learn')


def test_modern_wheels_come_from_the_lock_file_with_hashes():
    wheels = dict(build.modern_wheels())
    numpy_wheel = [name for name in wheels if name.startswith('numpy-')]
    assert numpy_wheel and re.fullmatch(r'[0-9a-f]{64}', wheels[numpy_wheel[0]])
    assert build.modern_cdn_base().endswith('/full/')


def test_unreachable_wheels_give_a_reason_instead_of_an_exception(monkeypatch, tmp_path):
    monkeypatch.setattr(build, 'CACHE', tmp_path)

    def refuse(*args, **kwargs):
        raise OSError('network unreachable')
    monkeypatch.setattr(urllib.request, 'urlopen', refuse)
    reason = build.fetch_modern_wheels()
    assert 'could not download numpy' in reason and 'network unreachable' in reason


def test_a_wheel_with_the_wrong_hash_is_rejected(monkeypatch, tmp_path):
    monkeypatch.setattr(build, 'CACHE', tmp_path)

    class FakeResponse:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def read(self):
            return b'tampered'
    monkeypatch.setattr(urllib.request, 'urlopen', lambda *a, **kw: FakeResponse())
    assert 'sha256' in build.fetch_modern_wheels()


@pytest.mark.parametrize('isolation', [True, False])
def test_dev_server_sends_isolation_headers_only_when_asked(dist_dir, http_server, isolation):
    base = http_server(dist_dir, isolation=isolation)
    with urllib.request.urlopen(base + 'index.html', timeout=10) as response:
        headers = response.headers
        assert response.status == 200
    assert (headers.get('Cross-Origin-Embedder-Policy') == 'require-corp') is isolation
    with urllib.request.urlopen(base + 'js/main.js', timeout=10) as response:
        assert response.headers.get('Content-Type').startswith('text/javascript')


def test_dev_server_listens_on_loopback_only(dist_dir):
    server = build.make_server(dist_dir, 0)
    try:
        assert server.server_address[0] == '127.0.0.1'
    finally:
        server.server_close()
