"""The lesson builder (lessons/render.py): every lesson builds, is short, has live views and a
task; bad blocks fail the build naming file and line; raw HTML is escaped."""
import re
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'py'))
sys.path.insert(0, str(ROOT))

pytest.importorskip('markdown_it')
from glassbox.protocol import shared_tables  # noqa: E402
from lessons.render import LessonError, build_lessons, load_lessons  # noqa: E402

MAX_WORDS = 1800  # under ten minutes at 200 words a minute, with time left for the views
REQUIRED = ('one-neuron', 'forward-and-backward', 'gradient-pathologies', 'pouring-two-classes',
            'morphing-digits', 'modules', 'swarms')
pytestmark = pytest.mark.skipif(shutil.which('node') is None, reason='the build checks lessons with node')


@pytest.fixture(scope='module')
def tables():
    return shared_tables()


@pytest.fixture(scope='module')
def built(tmp_path_factory, tables):
    out = tmp_path_factory.mktemp('site')
    words = build_lessons(out, tables)
    return out / 'lessons', words


def write(folder, name, body, title='A lesson', summary='One line.'):
    (folder / name).write_text('---\ntitle: %s\nsummary: %s\n---\n%s' % (title, summary, body), encoding='utf-8')


def test_every_lesson_builds_to_a_page_listed_in_the_index(built):
    folder, words = built
    assert len(words) >= 7
    index = (folder / 'index.html').read_text()
    for slug in words:
        assert (folder / (slug + '.html')).exists()
        assert 'href="%s.html"' % slug in index
    for topic in REQUIRED:
        assert any(slug.endswith(topic) for slug in words), topic


def test_each_lesson_is_readable_in_under_ten_minutes(built):
    folder, words = built
    too_long = {slug: n for slug, n in words.items() if n >= MAX_WORDS}
    assert not too_long
    for lesson in load_lessons():
        page = (folder / (lesson['slug'] + '.html')).read_text()
        assert '%d min read' % lesson['minutes'] in page and lesson['minutes'] <= 9


def test_each_lesson_has_a_live_view_and_a_try_this_task(built):
    folder, words = built
    for slug in words:
        page = (folder / (slug + '.html')).read_text()
        assert re.search(r'<glassbox-view view="[a-z-]+"', page), slug
        assert re.search(r'<div class="lesson-task" role="group" data-condition="[^"]+"', page), slug
        assert 'src="../js/lessons/lesson.js"' in page
        assert 'href="index.html"' in page and 'href="../index.html"' in page


def test_pages_link_to_the_previous_and_next_lesson(built):
    folder, words = built
    slugs = list(words)
    middle = (folder / (slugs[1] + '.html')).read_text()
    assert 'rel="prev" href="%s.html"' % slugs[0] in middle and 'rel="next" href="%s.html"' % slugs[2] in middle


def test_blocks_render_as_elements_with_their_attributes(tmp_path, tables):
    src = tmp_path / 'src'
    src.mkdir()
    write(src, '01-x.md', '```glassbox\nview: morph\ndataset: mnist\nhidden: 64\n```\n\n'
          '```task\ncondition: morph:flip\ndone: it flipped.\nTrain **until** it flips.\n```\n\n'
          '```button\nlabel: Go <fast>\nlr: 0.5\n```\n\n```py-cell\nprint(1 < 2 and "<b>")\n```\n')
    build_lessons(tmp_path / 'out', tables, source=src)
    page = (tmp_path / 'out' / 'lessons' / '01-x.html').read_text()
    assert '<glassbox-view view="morph" dataset="mnist" hidden="64"></glassbox-view>' in page
    assert 'data-condition="morph:flip"' in page and '<strong>until</strong>' in page
    assert 'Go &lt;fast&gt;</button>' in page and '&quot;lr&quot;: &quot;0.5&quot;' in page
    assert '<glassbox-py-cell>print(1 &lt; 2 and &quot;&lt;b&gt;&quot;)\n</glassbox-py-cell>' in page
    assert page.count('src="../js/lessons/py-cell.js"') == 1


def test_py_cell_script_only_on_pages_with_cells(built):
    folder, words = built
    for slug in words:
        page = (folder / (slug + '.html')).read_text()
        assert ('py-cell.js' in page) == ('<glassbox-py-cell>' in page), slug


def test_raw_html_in_markdown_is_escaped(tmp_path, tables):
    src = tmp_path / 'src'
    src.mkdir()
    write(src, '01-x.md', 'Hello <script>alert(1)</script> and <img src=x onerror=alert(2)>\n\n'
          '<div onclick="x()">block</div>\n\n```glassbox\nview: network\n```\n\n'
          '```task\ncondition: steps>=10\ndone: ok\nTrain.\n```\n', title='<b>T</b>')
    build_lessons(tmp_path / 'out', tables, source=src)
    page = (tmp_path / 'out' / 'lessons' / '01-x.html').read_text()
    assert '<script>alert' not in page and '<img' not in page and '<div onclick' not in page
    assert '&lt;script&gt;alert(1)&lt;/script&gt;' in page and '&lt;div onclick' in page
    assert '<title>&lt;b&gt;T&lt;/b&gt;' in page


@pytest.mark.parametrize('block, line, message', [
    ('```glassbox\nview: network\nactivaton: relu\n```', 8, 'unknown setting "activaton"'),
    ('```glassbox\nview: network\nactivation: sigmod\n```', 8, 'Activation must be one of'),
    ('```glassbox\nview: netwrk\n```', 7, 'unknown view "netwrk"'),
    ('```glassbox\ndataset: mnist\n```', 6, 'needs "view: NAME"'),
    ('```task\ncondition: alert:vanish\ndone: x\nDo it.\n```', 7, 'unknown alert "vanish"'),
    ('```task\ncondition: pour:dun\ndone: x\nDo it.\n```', 7, 'unknown condition "pour:dun"'),
    ('```task\ncondition: acuracy>=0.9\ndone: x\nDo it.\n```', 7, 'unknown metric "acuracy"'),
    ('```task\ncondition: steps>=5\nDo it.\n```', 6, 'needs "done: ..."'),
    ('```button\nlabel: x\naction: fly\n```', 8, 'unknown action "fly"'),
    ('```task\ncondition: modules:found & stepz>=3\ndone: x\nDo it.\n```', 7, 'unknown metric "stepz"'),
    ('```button\nlabel: x\nhidden: 0\n```', 8, 'Hidden layers must be'),
])
def test_a_bad_block_fails_the_build_naming_file_and_line(tmp_path, tables, block, line, message):
    src = tmp_path / 'src'
    src.mkdir()
    # Front matter is lines 1-4, line 5 is blank, the fence opens on line 6: keys from line 7.
    write(src, '03-bad.md', '\n' + block + '\n')
    with pytest.raises(LessonError) as caught:
        build_lessons(tmp_path / 'out', tables, source=src)
    assert str(caught.value).startswith('lessons/03-bad.md:%d: ' % line), str(caught.value)
    assert message in str(caught.value)
    assert not (tmp_path / 'out' / 'lessons').exists()  # nothing written


def test_views_on_one_page_may_not_contradict_the_shared_settings(tmp_path, tables):
    src = tmp_path / 'src'
    src.mkdir()
    write(src, '01-x.md', '```glassbox\nview: network\ndataset: xor\n```\n\n```glassbox\nview: curves\ndataset: circle\n```\n')
    with pytest.raises(LessonError, match=r'^lessons/01-x.md:12: dataset: circle contradicts dataset: xor at line 7'):
        build_lessons(tmp_path / 'out', tables, source=src)


def test_front_matter_is_required(tmp_path, tables):
    src = tmp_path / 'src'
    src.mkdir()
    (src / '01-x.md').write_text('# No front matter\n')
    with pytest.raises(LessonError, match='^lessons/01-x.md:1: a lesson starts with front matter'):
        build_lessons(tmp_path / 'out', tables, source=src)


def test_the_elements_short_view_names_and_controls_are_accepted(tmp_path, tables):
    src = tmp_path / 'src'
    src.mkdir()
    write(src, '01-x.md', '```glassbox\nview: hidden\ncontrols: true\n```\n\n```glassbox\nview: modules\n```\n\n'
          '```task\ncondition: steps>=10\ndone: ok\nTrain.\n```\n')
    build_lessons(tmp_path / 'out', tables, source=src)
    page = (tmp_path / 'out' / 'lessons' / '01-x.html').read_text()
    assert '<glassbox-view view="hidden" controls="true">' in page and '<glassbox-view view="modules">' in page
