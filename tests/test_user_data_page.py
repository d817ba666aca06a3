"""The user's own data in the page: the "Your data…" dialog previews a CSV (first rows, label column,
features, skipped columns) and images (a grid of converted images per class), trains through
glassbox.loadData, and the settings, address bar and views follow (dataset 'user'; two columns get
the input plane, images get morph and draw). Every bad file is named on the page as text and leaves
the current run as it was (step, settings, address bar). A reload without the data falls back to
digits with a note. Screenshots: test-artifacts/user-data-*.png."""
from __future__ import annotations

import base64
import gzip
import io
import json
import struct
import zipfile
import zlib

import numpy as np
import pytest

from conftest import READY_MS, frames, open_app


def png(pixels: np.ndarray) -> bytes:
    """A grayscale 8-bit PNG of ``pixels`` (H, W) uint8, written with zlib alone."""
    h, w = pixels.shape
    raw = b''.join(b'\0' + pixels[r].astype(np.uint8).tobytes() for r in range(h))
    chunk = lambda kind, data: struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data))  # noqa: E731
    return b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 0, 0, 0, 0)) + \
        chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b'')


def digit(kind: int, size: int, seed: int, paper=False) -> np.ndarray:
    """A crude drawing: class 0 a ring, class 1 a bar, class 2 a cross; white ink on black (or dark on paper)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size] / (size - 1) - 0.5
    shapes = [np.abs(np.hypot(yy, xx) - 0.3) < 0.08, np.abs(xx) < 0.08, (np.abs(xx) < 0.07) | (np.abs(yy) < 0.07)]
    img = shapes[kind].astype(float) * rng.uniform(0.7, 1.0) + rng.uniform(0, 0.1, (size, size))
    img = np.clip(img * 255, 0, 255).astype(np.uint8)
    return 255 - img if paper else img


def zip_of(members) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, 'w', zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buffer.getvalue()


def idx_file(array: np.ndarray) -> bytes:
    return struct.pack('>BBBB', 0, 0, 8, array.ndim) + struct.pack('>' + 'I' * array.ndim, *array.shape) + array.astype(np.uint8).tobytes()


CSV_2D = 'width,height,colour,kind\n' + ''.join(
    '%.3f,%.3f,%s,%s\n' % (x, y, 'red' if i % 3 else 'blue', 'big' if x + y > 1 else 'small')
    for i, (x, y) in enumerate(np.random.default_rng(0).random((240, 2))))

# Load a File from base64 bytes through the API; answers the message or null, with the page's state.
LOAD = """async ([name, b64, options]) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    let error = null;
    try { await glassbox.loadData(new File([bytes], name), options || {}); } catch (e) { error = e.message; }
    return {error, state: glassbox.state(), hash: location.hash, shown: glassbox.store.get().dataFile};
}"""
b64 = lambda data: base64.b64encode(data).decode()  # noqa: E731


def wait_dialog(page, text):
    page.wait_for_function("(t) => document.querySelector('#data-message').textContent.includes(t)", arg=text, timeout=60_000)


def test_a_csv_is_previewed_in_the_dialog_trained_and_gets_the_input_plane(app, artifacts_dir):
    page = app
    page.click('#data-open')
    page.set_input_files('#data-files', files=[{'name': 'shapes.csv', 'mimeType': 'text/csv', 'buffer': CSV_2D.encode()}])
    wait_dialog(page, 'Ready')
    assert page.locator('#data-preview th').all_text_contents() == ['width', 'height', 'colour', 'kind']
    assert page.locator('#data-preview tbody tr').count() == 5
    assert page.locator('#data-label').input_value() == 'kind'
    assert page.locator('#data-features').text_content() == 'Features (2): width, height'
    assert 'Not numbers, skipped: colour' in page.locator('#data-skipped').text_content()
    assert 'training split only' in page.locator('label[for=data-standardize]').text_content()
    page.fill('#data-seed', '4')
    page.screenshot(path=str(artifacts_dir / 'user-data-csv.png'))
    page.click('#data-train')
    page.wait_for_function("glassbox.state().dataset === 'user' && glassbox.store.get().dataFile.status === 'loaded'", timeout=60_000)
    state = page.evaluate('glassbox.state()')
    assert state['layers'][0] == 2 and state['layers'][-1] == 2 and state['settings']['dataset'] == 'user'
    assert 'dataset=user' in page.evaluate('location.hash')
    info = page.evaluate('glassbox.store.get().info')
    assert info['user']['split_seed'] == 4 and info['user']['standardized'] and info['feature_names'] == ['width', 'height']
    assert not page.locator('#data-dialog').evaluate('d => d.open')
    assert page.locator('#data-status').text_content() == 'Training on shapes.csv: 240 rows, 2 features, 2 classes, standardised.'
    page.locator('#controls').screenshot(path=str(artifacts_dir / 'user-data-controls.png'))
    plane = page.evaluate('glassbox.inputPlane().then((r) => r.prob.shape)')
    assert plane[0] * plane[1] == 64 * 64
    after = page.evaluate('glassbox.train({steps: 150}).then(() => glassbox.request("evaluate"))')
    assert after['val']['accuracy'] > 0.8
    # The data stays in this tab: another architecture trains on it, and back from digits too.
    assert page.evaluate("glassbox.configure({hidden: [6]}).then(() => glassbox.state().layers)") == [2, 6, 2]
    page.evaluate("glassbox.configure({dataset: 'digits'})")
    assert page.evaluate("glassbox.configure({dataset: 'user'}).then(() => glassbox.state().layers)") == [2, 6, 2]
    assert page.errors == []


def test_an_image_folder_is_converted_previewed_and_gets_morph_and_draw(app, artifacts_dir, tmp_path):
    page = app
    root = tmp_path / 'shapes'
    sizes = [28, 28, 40, 20]  # mixed sizes are accepted, each resized on its own
    for kind, name in enumerate(['ring', 'bar', 'cross']):
        (root / name).mkdir(parents=True)
        for i in range(8):
            (root / name / ('%d.png' % i)).write_bytes(png(digit(kind, sizes[i % 4], i, paper=i % 2 == 1)))
    page.click('#data-open')
    page.set_input_files('#data-folder', str(root))
    wait_dialog(page, 'Ready')
    summary = page.locator('#data-images-summary').text_content()
    assert '24 images in 3 classes' in summary and '20×20 (6)' in summary and '40×40 (6)' in summary
    assert 'inverted' in summary and 'resized on its own' in summary
    assert page.locator('#data-grid canvas').count() == 24
    assert page.locator('.user-data-class-name').all_text_contents() == ['bar (8)', 'cross (8)', 'ring (8)']
    page.select_option('#data-size', '8')
    wait_dialog(page, 'Ready')
    assert page.locator('#data-grid canvas').first.evaluate('c => c.width') == 8
    page.screenshot(path=str(artifacts_dir / 'user-data-images.png'))
    page.click('#data-train')
    page.wait_for_function("glassbox.state().dataset === 'user' && glassbox.state().layers[0] === 64", timeout=60_000)
    assert page.evaluate('glassbox.store.get().info.image_shape') == [8, 8]
    morph = page.evaluate("glassbox.morph({from: 0, to: 2, steps: 5}).then((r) => r.x.shape)")
    assert morph == [5, 64]
    drawn = page.evaluate("glassbox.draw(new Array(64).fill(0.5)).then((r) => r && (r.probs || r.result?.probs) ? 'ok' : JSON.stringify(Object.keys(r || {})))")
    assert drawn == 'ok'
    assert page.errors == []


def test_idx_files_gzip_or_not_train_in_the_page(app):
    rng = np.random.default_rng(3)
    images = rng.integers(0, 256, (60, 6, 5)).astype(np.uint8)
    labels = (np.arange(60) % 3).astype(np.uint8)
    state = app.evaluate("""async ([a, b]) => {
        const f = (s, name) => new File([Uint8Array.from(atob(s), (c) => c.charCodeAt(0))], name);
        await glassbox.loadData([f(a, 'train-images-idx3-ubyte.gz'), f(b, 'train-labels-idx1-ubyte')]);
        return glassbox.state(); }""", [b64(gzip.compress(idx_file(images))), b64(idx_file(labels))])
    assert state['layers'][0] == 30 and state['layers'][-1] == 3 and state['dataset'] == 'user'


CORRUPT_PNG = b'\x89PNG\r\n\x1a\n' + b'\0\0\0\rIHDR' + b'garbage' * 20
GOOD = {('%s/%d.png' % (c, i)): png(digit(k, 12, i)) for k, c in enumerate('ab') for i in range(3)}
BAD_FILES = {
    'empty csv': ('data.csv', b'', 'data.csv is empty (0 bytes)'),
    'header only': ('data.csv', b'a,b,label\n', 'data.csv has a header row but no data rows'),
    'ragged rows': ('data.csv', b'a,b,label\n1,2,x\n3,4\n', 'data.csv, line 3: 2 values but the header has 3 columns'),
    'non-numeric value': ('data.csv', b'a,b,label\n1,2,x\n3,four,y\n5,6,x\n7,8,y\n', 'data.csv, line 3, column "b" holds "four"'),
    'one class only': ('data.csv', b'a,label\n1,x\n2,x\n', 'only one class ("x")'),
    'a label with 1 sample': ('data.csv', b'a,label\n1,x\n2,x\n3,y\n', 'label "y" has only 1 row'),
    'NaN': ('data.csv', b'a,label\n1,x\nNaN,y\n2,x\n3,y\n', 'data.csv, line 3, column "a" holds NaN'),
    'Inf': ('data.csv', b'a,label\n1,x\nInfinity,y\n2,x\n3,y\n', 'data.csv, line 3, column "a" holds Infinity'),
    'a million columns': ('wide.csv', (','.join(['c'] * 1_000_000) + '\n').encode(), 'wide.csv has about 1,000,000 columns'),
    'UTF-16 as CSV': ('data.csv', 'a,label\n1,x\n2,y\n'.encode('utf-16'), 'data.csv is UTF-16 text'),
    'gzip as CSV': ('data.csv', gzip.compress(b'a,label\n1,x\n2,y\n'), 'data.csv is a gzip-compressed file'),
    'corrupt PNG': ('photos.zip', zip_of(dict(GOOD, **{'b/broken.png': CORRUPT_PNG})), 'b/broken.png is not a PNG or JPEG image'),
    'zip bomb': ('bomb.zip', zip_of({'a/bomb.png': b'\0' * 200_000_000, 'b/1.png': b'1'}), 'a/bomb.png would unpack to 200,000,000 bytes'),
    'zip with one class folder': ('one.zip', zip_of({k: v for k, v in GOOD.items() if k.startswith('a/')}), 'only one class folder ("a")'),
    'zip without class folders': ('flat.zip', zip_of({'1.png': GOOD['a/0.png'], '2.png': GOOD['a/1.png']}), 'no class sub-folders'),
}


@pytest.mark.parametrize('case', list(BAD_FILES))
@pytest.mark.app_settings(hidden=[9], lr=0.07)
def test_a_bad_file_is_named_and_the_run_is_untouched(app, case):
    name, data, words = BAD_FILES[case]
    before = app.evaluate('glassbox.train({steps: 3}).then(() => [glassbox.state(), location.hash])')
    out = app.evaluate(LOAD, [name, b64(data), {}])
    assert out['error'] and words in out['error'], (case, out['error'])
    assert out['shown'] == {'status': 'error', 'name': name, 'message': out['error'], 'kind': None}
    for key in ('step', 'settings', 'layers', 'dataset'):
        assert out['state'][key] == before[0][key], key
    assert out['hash'] == before[1] and out['state']['status'] == 'paused'
    assert app.locator('#data-status').text_content() == 'Could not use %s: %s' % (name, out['error'])


def test_idx_images_and_labels_of_different_counts_are_named(app):
    out = app.evaluate("""async ([a, b]) => {
        const f = (s, name) => new File([Uint8Array.from(atob(s), (c) => c.charCodeAt(0))], name);
        try { await glassbox.loadData([f(a, 'i-idx3-ubyte'), f(b, 'l-idx1-ubyte')]); } catch (e) { return e.message; } }""",
                       [b64(idx_file(np.zeros((5, 2, 2)))), b64(idx_file(np.zeros(4)))])
    assert 'i-idx3-ubyte holds 5 images but l-idx1-ubyte holds 4 labels' in out


def test_a_folder_without_class_sub_folders_is_named_in_the_dialog(app, artifacts_dir, tmp_path):
    root = tmp_path / 'loose'
    root.mkdir()
    for i in range(3):
        (root / ('%d.png' % i)).write_bytes(png(digit(0, 10, i)))
    app.click('#data-open')
    app.set_input_files('#data-folder', str(root))
    app.wait_for_function("document.querySelector('#data-message').dataset.kind === 'error'")
    text = app.locator('#data-message').text_content()
    assert 'loose has no class sub-folders' in text and 'loose/0.png' in text
    assert app.locator('#data-train').is_disabled()
    app.wait_for_function("document.querySelector('#data-status').textContent.startsWith('Could not use loose: loose has no class')")
    app.screenshot(path=str(artifacts_dir / 'user-data-error.png'))
    app.click('#data-cancel')


def test_a_hostile_csv_is_shown_as_text(app):
    hostile = b'<img src=x onerror="window.pwned=1">,label\n1,a\n2,b\n3,a\n4,b\n'
    app.click('#data-open')
    app.set_input_files('#data-files', files=[{'name': '<b>x</b>.csv', 'mimeType': 'text/csv', 'buffer': hostile}])
    wait_dialog(app, 'Ready')
    assert app.locator('#data-preview th').first.text_content() == '<img src=x onerror="window.pwned=1">'
    assert app.evaluate('window.pwned') is None and app.locator('#data-dialog img').count() == 0
    app.click('#data-cancel')


def test_a_reload_without_the_data_falls_back_to_digits_with_a_note(page, site_url):
    open_app(page, site_url, '#dataset=user&hidden=7&autoplay=false')
    state = page.evaluate('glassbox.state()')
    assert state['dataset'] == 'digits' and state['settings']['hidden'] == [7] and state['layers'] == [64, 7, 10]
    assert any("Your data set isn't loaded in this tab: load it again or open a saved run" in n for n in state['notes'])
    assert 'dataset' not in page.evaluate('location.hash') and 'hidden=7' in page.evaluate('location.hash')
    message = page.evaluate("glassbox.configure({dataset: 'user'}).then(() => null, (e) => e.message)")
    assert "isn't loaded in this tab" in message and page.evaluate('glassbox.state().settings.dataset') == 'digits'
    assert page.errors == []


def test_a_csv_dropped_on_the_page_opens_the_dialog_and_an_onnx_drop_still_loads_a_model(app):
    model_file = app.evaluate('glassbox.store.get().modelFile')
    app.evaluate("""(text) => {
        const transfer = new DataTransfer();
        transfer.items.add(new File([text], 'dropped.csv', {type: 'text/csv'}));
        const target = document.querySelector('.views');
        target.dispatchEvent(new DragEvent('dragenter', {dataTransfer: transfer, bubbles: true}));
        target.dispatchEvent(new DragEvent('drop', {dataTransfer: transfer, bubbles: true, cancelable: true})); }""", CSV_2D)
    wait_dialog(app, 'Ready')
    assert app.locator('#data-dialog').evaluate('d => d.open') and 'dropped.csv: 240 rows' in app.locator('#data-preview').text_content()
    assert app.evaluate("glassbox.store.get().modelFile") == model_file  # not taken for a model
    assert app.locator('.drop-hint').is_hidden()
    app.click('#data-cancel')
    assert app.evaluate('glassbox.state().dataset') == 'digits'  # nothing trains until the student says so


def test_jpeg_files_of_a_dropped_folder_load_as_images(app):
    """JPEGs made by the browser, given as a dropped folder gives them ([{path, file}] under the folder's name)."""
    state = app.evaluate("""async () => {
        const files = [];
        for (const [c, name] of [[0, 'dark'], [1, 'light']]) for (let i = 0; i < 3; i += 1) {
            const canvas = new OffscreenCanvas(30, 20);
            const g = canvas.getContext('2d');
            g.fillStyle = '#000'; g.fillRect(0, 0, 30, 20);
            g.fillStyle = '#fff'; g.fillRect(c ? 2 : 20, 5 + i, 8, 8);
            files.push({path: `photos/${name}/${i}.jpg`, file: new File([await canvas.convertToBlob({type: 'image/jpeg'})], `${i}.jpg`)});
        }
        await glassbox.loadData(files, {size: 8});
        return glassbox.state(); }""")
    assert state['dataset'] == 'user' and state['layers'][0] == 64 and state['layers'][-1] == 2
    assert app.evaluate('glassbox.store.get().info.class_names') == ['dark', 'light']
