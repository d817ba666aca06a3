"""The page's readers of the user's data run in node (site/js/data/csv.js, images.js, idx.js, load.js):
CSV files parsed into tables, zips unpacked with bounded inflation, image folders grouped by class,
pixels converted as documented, IDX pairs checked; every bad file gets a message naming the file,
the line and the column. Browser-only steps (decoding PNG/JPEG, the dialog) are in
tests/test_user_data_page.py."""
from __future__ import annotations

import base64
import gzip
import io
import json
import shutil
import struct
import subprocess
import zipfile

import numpy as np
import pytest

from conftest import DIST

pytestmark = pytest.mark.skipif(shutil.which('node') is None, reason='node is not installed')


@pytest.fixture(scope='module', autouse=True)
def _built(dist_dir):
    assert (dist_dir / 'js' / 'data' / 'csv.js').exists() and (dist_dir / 'vendor' / 'papaparse.mjs').exists()


def run_js(body: str, files=None):
    """Run ``body`` (returns a value) in node with csv, images, idx, load and the tables' limits;
    ``files``: {name: bytes} available as FILES[name] (Uint8Array). Errors come back as {'error'}."""
    data = (DIST / 'js' / 'data').as_uri()
    payload = {k: base64.b64encode(v).decode() for k, v in (files or {}).items()}
    script = """
import * as csv from '%(d)s/csv.js'; import * as images from '%(d)s/images.js';
import * as idx from '%(d)s/idx.js'; import * as load from '%(d)s/load.js';
import fs from 'node:fs';
const LIMITS = JSON.parse(fs.readFileSync(%(t)s, 'utf8')).limits.user_data;
const FILES = Object.fromEntries(Object.entries(JSON.parse(fs.readFileSync(0, 'utf8'))).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))]));
const text = (s) => new TextEncoder().encode(s);
const plain = (v) => (ArrayBuffer.isView(v) ? Array.from(v) : Array.isArray(v) ? v.map(plain) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)])) : v);
let out;
try { out = await (async () => { %(b)s })(); } catch (error) { out = {error: String(error.message || error)}; }
console.log(JSON.stringify(plain(out)));
""" % {'d': data, 't': json.dumps(str(DIST / 'tables.json')), 'b': body}
    result = subprocess.run(['node', '--input-type=module', '-e', script], input=json.dumps(payload),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def csv_table(body: str, options='{}', name='data.csv'):
    return run_js("const t = csv.readCsv(text(%s), %s, LIMITS); const b = csv.buildTable(t, %s, LIMITS);"
                  "return {X: b.X, y: b.y, n: b.n, d: b.d, featureNames: b.featureNames, classNames: b.classNames,"
                  " skipped: b.skipped, encoded: b.encoded, notes: t.notes};" % (json.dumps(body), json.dumps(name), options))


def error_of(result):
    assert 'error' in result, result
    return result['error']


# ------------------------------------------------------------------ CSV

def test_a_csv_becomes_features_and_labels_with_the_last_column_as_label():
    out = csv_table('a,b,kind\n1,2,cat\n3,4.5,dog\n-1,2e3,cat\n\n7,8,dog\n')
    assert out['featureNames'] == ['a', 'b'] and out['classNames'] == ['cat', 'dog']
    assert out['X'] == [1, 2, 3, 4.5, -1, 2000, 7, 8] and out['y'] == [0, 1, 0, 1]


def test_the_label_column_can_be_chosen_and_numeric_labels_sort_as_numbers():
    out = csv_table('y,a,b\n10,1,2\n9,3,4\n10,5,6\n9,7,8\n2,0,0\n2,1,1\n', "{label: 'y'}")
    assert out['classNames'] == ['2', '9', '10'] and out['featureNames'] == ['a', 'b'] and out['y'] == [2, 1, 2, 1, 0, 0]


def test_non_numeric_columns_are_named_and_skipped_or_one_hot_encoded():
    body = 'colour,size,label\nred,1,a\nblue,2,b\nred,3,a\ngreen,4,b\n'
    skipped = csv_table(body)
    assert skipped['skipped'] == ['colour'] and skipped['featureNames'] == ['size']
    encoded = csv_table(body, '{oneHot: true}')
    assert encoded['featureNames'] == ['size', 'colour=blue', 'colour=green', 'colour=red'] and encoded['encoded'] == ['colour']
    assert encoded['X'][:4] == [1, 0, 0, 1]


def test_one_hot_refuses_a_column_with_too_many_categories():
    rows = ''.join('w%d,%d,%s\n' % (i, i, 'ab'[i % 2]) for i in range(30))
    assert 'column "word" has more than 20 different values' in error_of(csv_table('word,n,label\n' + rows, '{oneHot: true}'))


BAD_CSV = [
    ('empty file', '', ['data.csv is empty (0 bytes)']),
    ('header only', 'a,b,label\n', ['data.csv has a header row but no data rows']),
    ('ragged rows', 'a,b,label\n1,2,x\n3,4\n5,6,y\n', ['data.csv, line 3: 2 values but the header has 3 columns']),
    ('non-numeric value in a feature column', 'a,b,label\n1,2,x\n3,oops,y\n5,6,x\n7,8,y\n',
     ['data.csv, line 3, column "b" holds "oops", which is not a number']),
    ('NaN', 'a,b,label\n1,2,x\n3,NaN,y\n5,6,x\n7,8,y\n', ['line 3, column "b" holds NaN', 'finite']),
    ('Inf', 'a,b,label\n1,2,x\n3,4,y\n-inf,6,x\n7,8,y\n', ['line 4, column "a" holds -inf', 'finite']),
    ('empty cell', 'a,b,label\n1,2,x\n3,,y\n5,6,x\n7,8,y\n', ['line 3, column "b" is empty']),
    ('one class only', 'a,label\n1,x\n2,x\n3,x\n', ['only one class ("x")']),
    ('a label with one sample', 'a,label\n1,x\n2,x\n3,y\n4,y\n5,z\n', ['label "z" has only 1 row', 'stratified']),
    ('no numeric features', 'name,label\nann,x\nbob,y\n', ['no numeric feature column', '"name"']),
    ('too many classes', 'a,label\n' + ''.join('%d,c%d\n%d,c%d\n' % (i, i, i, i) for i in range(101)), ['101 different labels']),
]


@pytest.mark.parametrize('case, body, words', BAD_CSV, ids=[c[0] for c in BAD_CSV])
def test_bad_csv_files_are_named_with_line_and_column(case, body, words):
    message = error_of(csv_table(body))
    for word in words:
        assert word in message, (case, message)


def test_a_million_columns_are_refused_from_the_header_alone():
    out = run_js("const h = Array.from({length: 1e6}, (_, i) => 'c' + i).join(','); const t0 = Date.now(); try { csv.readCsv(text(h + '\\n' + h.replace(/c/g, '1')), 'wide.csv', LIMITS); }"
                 " catch (e) { return {error: e.message, ms: Date.now() - t0}; } return {ms: -1};")
    assert 'wide.csv has about 1,000,000 columns in its header; at most 4,097 fit' in out['error']
    assert out['ms'] < 2000


def test_utf16_gzip_and_zip_files_given_as_csv_are_named():
    utf16 = 'a,label\n1,x\n2,y\n'.encode('utf-16')  # starts with a byte-order mark
    gz = gzip.compress(b'a,label\n1,x\n2,y\n')
    for name, blob, word in (('utf16.csv', utf16, 'utf16.csv is UTF-16 text'), ('data.csv', gz, 'data.csv is a gzip-compressed file'),
                             ('zipped.csv', b'PK\x03\x04rest', 'zipped.csv is a zip archive')):
        out = run_js("return csv.readCsv(FILES.f, %s, LIMITS);" % json.dumps(name), {'f': blob})
        assert word in error_of(out)


def test_utf16_without_a_byte_order_mark_and_binary_files_are_named():
    for blob in ('a,label\n1,x\n2,y\n'.encode('utf-16-le'), bytes(range(256))):
        out = run_js("return csv.readCsv(FILES.f, 'odd.csv', LIMITS);", {'f': blob})
        assert 'odd.csv is not UTF-8 text: it holds a zero byte at byte' in error_of(out)


def test_latin1_text_is_read_with_a_note():
    out = run_js("const t = csv.readCsv(FILES.f, 'l.csv', LIMITS); return {notes: t.notes, header: t.header};",
                 {'f': 'caf\xe9,label\n1,x\n'.encode('latin-1')})
    assert out['header'] == ['caf\xe9', 'label'] and 'Windows-1252' in out['notes'][0]


def test_a_csv_beyond_the_size_limit_is_refused_before_reading():
    out = run_js("return load.prepareData(new File([new Uint8Array(LIMITS.max_csv_bytes + 1)], 'big.csv'), LIMITS);")
    assert 'big.csv is 50,000,001 bytes; a CSV file may be at most 50,000,000 bytes' in error_of(out)


# ------------------------------------------------------------------ zips and folders

def zip_of(members, compress=zipfile.ZIP_DEFLATED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, 'w', compress) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buffer.getvalue()


def lying_sizes(blob: bytes, size: int) -> bytes:
    """The zip with every member's declared uncompressed size replaced by ``size`` (local headers
    and the central directory), as a hostile file could."""
    out = bytearray(blob)
    for signature, offset in ((b'PK\x03\x04', 22), (b'PK\x01\x02', 24)):  # local header, directory entry
        at = out.find(signature)
        while at >= 0:
            struct.pack_into('<I', out, at + offset, size)
            at = out.find(signature, at + 4)
    return bytes(out)


def test_a_zip_of_class_folders_unpacks_the_images_only():
    blob = zip_of({'digits/0/a.png': b'x' * 10, 'digits/1/b.png': b'y' * 5, 'digits/readme.txt': b'hi', '__MACOSX/0/._a.png': b'z'})
    out = run_js("return images.unzipBounded(FILES.z, 'digits.zip', LIMITS).map((m) => [m.path, m.bytes.length]);", {'z': blob})
    assert sorted(out) == [['digits/0/a.png', 10], ['digits/1/b.png', 5]]


def test_a_zip_bomb_is_refused_by_its_declared_size_before_inflating():
    bomb = zip_of({'a/bomb.png': b'\0' * 400_000_000, 'b/x.png': b'1'})
    assert len(bomb) < 1_000_000
    out = error_of(run_js("return images.unzipBounded(FILES.z, 'bomb.zip', LIMITS);", {'z': bomb}))
    assert 'bomb.zip: a/bomb.png would unpack to 400,000,000 bytes' in out and 'zip bomb' in out


def test_a_zip_bomb_that_lies_about_its_size_stops_at_the_limit():
    bomb = lying_sizes(zip_of({'a/bomb.png': b'\0' * 400_000_000, 'b/x.png': b'1'}), 100)
    out = run_js("const t0 = Date.now(); const m0 = process.memoryUsage().rss; try { images.unzipBounded(FILES.z, 'liar.zip', LIMITS); }"
                 " catch (e) { return {error: e.message, ms: Date.now() - t0, grewMB: (process.memoryUsage().rss - m0) / 1e6}; }",
                 {'z': bomb})
    assert 'liar.zip: a/bomb.png unpacks to more than 20,000,000 bytes; stopped there' in out['error']
    assert out['grewMB'] < 150, out


def test_a_zip_whose_images_add_up_past_the_total_limit_is_refused():
    members = {'c%d/%d.png' % (i % 2, i): b'\0' * 19_000_000 for i in range(17)}
    out = error_of(run_js("return images.unzipBounded(FILES.z, 'many.zip', LIMITS);", {'z': zip_of(members)}))
    assert 'many.zip unpacks to more than 300,000,000 bytes' in out


def test_folders_group_images_by_class_and_name_what_is_missing():
    group = "return images.groupByFolder(%s.map((path) => ({path})), 'photos', LIMITS, %s);"
    ok = run_js(group % (json.dumps(['photos/cat/1.png', 'photos/cat/2.jpg', 'photos/dog/3.JPEG', 'photos/dog/4.png',
                                     'photos/notes.txt']), 'true'))
    assert ok['classNames'] == ['cat', 'dog'] and [i['label'] for i in ok['items']] == [0, 0, 1, 1]
    flat = error_of(run_js(group % (json.dumps(['photos/1.png', 'photos/2.png']), 'true')))
    assert 'photos has no class sub-folders' in flat and 'photos/1.png' in flat
    one = error_of(run_js(group % (json.dumps(['cat/1.png', 'cat/2.png']), 'false')))
    assert 'only one class folder ("cat")' in one
    lonely = error_of(run_js(group % (json.dumps(['a/1.png', 'a/2.png', 'b/3.png']), 'false')))
    assert 'class folder "b" holds only 1 image' in lonely
    none = error_of(run_js(group % (json.dumps(['a/1.txt']), 'false')))
    assert 'holds no PNG or JPEG images' in none


def area_average(img: np.ndarray, n: int) -> np.ndarray:
    """Independent answer: upsample by n (repeat) and by side (repeat), then block-mean."""
    h, w = img.shape
    side = max(h, w)
    square = np.zeros((side, side))
    oy, ox = (side - h) / 2, (side - w) / 2
    assert oy == int(oy) and ox == int(ox)
    square[int(oy):int(oy) + h, int(ox):int(ox) + w] = img
    fine = np.kron(square, np.ones((n, n)))
    return fine.reshape(n, side, n, side).mean(axis=(1, 3))


@pytest.mark.parametrize('h, w, n', [(28, 28, 8), (10, 6, 8), (5, 5, 8), (56, 28, 28)])
def test_pixels_are_area_averaged_to_n_by_n_keeping_the_aspect(h, w, n):
    img = np.random.default_rng(h * w).random((h, w))
    out = run_js("return images.squareAndShrink(Float32Array.from(%s), %d, %d, %d);" % (json.dumps(img.ravel().tolist()), w, h, n))
    np.testing.assert_allclose(np.array(out).reshape(n, n), area_average(img, n), atol=1e-5)


def test_dark_ink_on_light_paper_becomes_white_on_black_stretched_to_one():
    rgba = np.full((4, 4, 4), 255, np.uint8)
    rgba[1:3, 1:3, :3] = 55  # a dark square on white paper
    out = run_js("return images.convert(Uint8Array.from(%s), 4, 4, 2);" % json.dumps(rgba.ravel().tolist()))
    assert out['inverted'] is True
    np.testing.assert_allclose(out['pixels'], [1, 1, 1, 1], atol=1e-6)  # each quarter holds one ink pixel of 4
    transparent = np.zeros((2, 2, 4), np.uint8)
    plain = run_js("return images.convert(Uint8Array.from(%s), 2, 2, 2);" % json.dumps(transparent.ravel().tolist()))
    assert plain['pixels'] == [0, 0, 0, 0]  # clear pixels are white paper: inverted to black


# ------------------------------------------------------------------ IDX

def idx_file(array: np.ndarray) -> bytes:
    return struct.pack('>BBBB', 0, 0, 8, array.ndim) + struct.pack('>' + 'I' * array.ndim, *array.shape) + array.astype(np.uint8).tobytes()


def test_an_idx_pair_in_any_order_gzip_or_not_is_checked_and_passed_on():
    images = np.arange(6 * 2 * 3, dtype=np.uint8).reshape(6, 2, 3)
    labels = np.array([0, 1, 0, 1, 2, 2], np.uint8)
    out = run_js("const r = idx.readIdxPair([{name: 'l-idx1-ubyte', bytes: FILES.l}, {name: 'i-idx3-ubyte.gz', bytes: FILES.i}], LIMITS);"
                 "return {files: r.idx_files, n: r.summary, images: r.idx_images.length, name: r.name};",
                 {'i': gzip.compress(idx_file(images)), 'l': idx_file(labels)})
    assert out['files'] == ['i-idx3-ubyte.gz', 'l-idx1-ubyte'] and out['n'] == {'n': 6, 'height': 2, 'width': 3}
    assert out['images'] == len(idx_file(images)) and out['name'] == 'i-idx3-ubyte'


BAD_IDX = [
    ('count mismatch', {'i.idx3-ubyte': idx_file(np.zeros((5, 2, 2))), 'l.idx1-ubyte': idx_file(np.zeros(4))},
     ['i.idx3-ubyte holds 5 images but l.idx1-ubyte holds 4 labels']),
    ('two image files', {'a.idx3-ubyte': idx_file(np.zeros((5, 2, 2))), 'b.idx3-ubyte': idx_file(np.zeros((5, 2, 2)))},
     ['an image file (3 dimensions', 'a.idx3-ubyte has 3']),
    ('truncated', {'i.idx3-ubyte': idx_file(np.zeros((5, 2, 2)))[:-3], 'l.idx1-ubyte': idx_file(np.zeros(5))},
     ['i.idx3-ubyte holds 33 bytes but its header (5 × 2 × 2) promises 36']),
    ('an html page', {'i.idx3-ubyte': b'<!doctype html><title>404</title>', 'l.idx1-ubyte': idx_file(np.zeros(5))},
     ['i.idx3-ubyte is not an IDX file', 'web page']),
    ('a gzip bomb', {'i.idx3-ubyte.gz': gzip.compress(b'\0' * 70_000_000), 'l.idx1-ubyte': idx_file(np.zeros(5))},
     ['i.idx3-ubyte.gz would unpack to 70,000,000 bytes']),
    ('one file', {'i.idx3-ubyte': idx_file(np.zeros((5, 2, 2)))}, ['needs two files']),
]


@pytest.mark.parametrize('case, files, words', BAD_IDX, ids=[c[0] for c in BAD_IDX])
def test_bad_idx_files_are_named(case, files, words):
    listing = ', '.join('{name: %s, bytes: FILES[%s]}' % (json.dumps(k), json.dumps(k)) for k in files)
    message = error_of(run_js('return idx.readIdxPair([%s], LIMITS);' % listing, files))
    for word in words:
        assert word in message, (case, message)


def test_a_gzip_that_lies_about_its_size_stops_at_the_limit():
    blob = bytearray(gzip.compress(b'\0' * 70_000_000))
    struct.pack_into('<I', blob, len(blob) - 4, 100)
    out = error_of(run_js("return idx.gunzipBounded(FILES.g, 'liar.gz', LIMITS.max_idx_bytes);", {'g': bytes(blob)}))
    assert 'liar.gz unpacks to more than 64,000,000 bytes' in out


# ------------------------------------------------------------------ the two steps together

def test_prepare_and_build_turn_a_csv_file_into_load_data_arguments():
    out = run_js("const p = await load.prepareData(new File([text('x,y,label\\n1,2,a\\n3,4,b\\n5,6,a\\n7,8,b\\n')], 't.csv'), LIMITS);"
                 "const {args} = await load.buildData(p, {seed: 3, standardize: false}, LIMITS);"
                 "return {kind: p.kind, shape: args.X.shape, y: args.y, names: args.feature_names, seed: args.seed, std: args.standardize};")
    assert out == {'kind': 'csv', 'shape': [4, 2], 'y': [0, 1, 0, 1], 'names': ['x', 'y'], 'seed': 3, 'std': False}


def test_arrays_are_checked_for_equal_rows():
    message = error_of(run_js("return load.prepareData({X: [[1, 2], [3]], y: [0, 1]}, LIMITS);"))
    assert 'X row 2 has 1 values but row 1 has 2' in message


def test_semicolon_and_tab_separated_files_are_read_like_commas():
    for sep in (';', '\t'):
        body = sep.join(['a', 'b', 'label']) + '\n' + ''.join(sep.join([str(i), str(i * 2), 'xy'[i % 2]]) + '\n' for i in range(4))
        out = csv_table(body)
        assert out['featureNames'] == ['a', 'b'] and out['y'] == [0, 1, 0, 1] and out['X'][:2] == [0, 0]


def test_files_given_with_class_paths_are_grouped_whether_or_not_a_folder_holds_them():
    prepare = ("const p = await load.prepareData(%s.map((path) => ({path, bytes: new Uint8Array(1)})), LIMITS);"
               "try { images.groupByFolder(p.files, p.name, LIMITS, p.folderContainer); return {name: p.name, ok: true}; }"
               " catch (e) { return {name: p.name, error: e.message}; }")
    assert run_js(prepare % json.dumps(['cat/1.png', 'cat/2.png', 'dog/3.png', 'dog/4.png'])) == {'name': 'the images', 'ok': True}
    assert run_js(prepare % json.dumps(['pets/cat/1.png', 'pets/cat/2.png', 'pets/dog/3.png', 'pets/dog/4.png'])) == {'name': 'pets', 'ok': True}
    assert 'pets has no class sub-folders' in run_js(prepare % json.dumps(['pets/1.png', 'pets/2.png']))['error']
