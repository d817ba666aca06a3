"""Lessons: Markdown sources (lessons/NN-slug.md) -> dist/lessons/NN-slug.html and an index.

A lesson starts with front matter (``title:``, ``summary:`` between ``---`` lines), then
CommonMark + tables (markdown-it-py; raw HTML is escaped, never passed through). Fenced blocks:

    ```glassbox        one live view: ``view: NAME`` (``controls: true`` adds the element's own
                       Play/Step/Reset) and URL keys (``dataset: mnist``) ->
                       <glassbox-view view=... dataset=...>; every view of a page shares ONE
                       engine, so the first block's settings hold for the page and a later block
                       may not contradict them (a ``button`` changes settings instead).
                       ``caption:`` (optional) is shown under the view.
    ```task            a "try this" task: ``condition: ID`` (site/js/lessons/tasks.js), ``done:``
                       what the student just saw, optional URL keys (``dataset: xor``: the task
                       counts only while the settings say so), then the task's text (Markdown).
    ```button          ``label:`` and either URL keys (they are applied with glassbox.configure) or
                       ``action:`` play | pause | step | reset | swarm.
    ```py-cell         Python code -> <glassbox-py-cell> with the code, HTML-escaped, as its text.

Every key, value, view name and condition id is checked at build time by the page's own code
(lessons/validate.mjs runs url-state.js, embed.js and tasks.js in node), so a typo fails the build
with ``lessons/FILE.md:LINE: ...``. Reading time: words / 200 per minute, rounded up.
"""
from __future__ import annotations

import html
import json
import math
import re
import subprocess
from pathlib import Path
from typing import Dict, List

from markdown_it import MarkdownIt

HERE = Path(__file__).resolve().parent
SITE_JS = HERE.parent / 'site' / 'js'
WORDS_PER_MINUTE = 200
NAME = re.compile(r'^(\d\d)-([a-z0-9-]+)\.md$')
BLOCKS = ('glassbox', 'task', 'button', 'py-cell')
ACTIONS = ('play', 'pause', 'step', 'reset', 'swarm')
# A glassbox block's keys that are not settings: the element's `view` and `controls`, and our caption.
VIEW_KEYS = ('view', 'controls', 'caption')


class LessonError(ValueError):
    """A lesson that cannot be built; the message starts with ``file:line:``."""


def _markdown() -> MarkdownIt:
    return MarkdownIt('commonmark', {'html': False, 'typographer': False}).enable('table')


def split_front_matter(text: str, where: str):
    """(meta dict, body, body's first line number) of a lesson's text."""
    lines = text.split('\n')
    if not lines or lines[0].strip() != '---':
        raise LessonError('%s:1: a lesson starts with front matter: ---, title: ..., summary: ..., ---' % where)
    meta = {}
    for number, line in enumerate(lines[1:], start=2):
        if line.strip() == '---':
            missing = [key for key in ('title', 'summary') if not meta.get(key)]
            if missing:
                raise LessonError('%s:1: front matter lacks %s' % (where, ', '.join(missing)))
            return meta, '\n'.join(lines[number:]), number + 1
        key, sep, value = line.partition(':')
        if not sep or not key.strip():
            raise LessonError('%s:%d: front matter lines are "key: value", got %r' % (where, number, line))
        meta[key.strip()] = value.strip()
    raise LessonError('%s:1: front matter is not closed by a --- line' % where)


def parse_block(kind: str, content: str, where: str, first_line: int) -> dict:
    """A fenced block's ``key: value`` lines as {'attrs', 'text', 'line'}; a task's or button's
    free text lines (without a colon-key) are kept as text. ``first_line``: the fence's line."""
    attrs, text, lines = {}, [], {}
    for offset, line in enumerate(content.split('\n')):
        number = first_line + 1 + offset
        match = re.match(r'^([a-z][a-z0-9_.]*)\s*:\s?(.*)$', line)
        if match and not text:
            key, value = match.group(1), match.group(2).strip()
            if key in attrs:
                raise LessonError('%s:%d: %s block sets "%s" twice' % (where, number, kind, key))
            attrs[key], lines[key] = value, number
        elif line.strip() or text:
            if kind != 'task':
                raise LessonError('%s:%d: a %s block holds "key: value" lines only, got %r' % (where, number, kind, line))
            text.append(line)
    return {'kind': kind, 'attrs': attrs, 'text': '\n'.join(text).strip(), 'line': first_line, 'lines': lines}


def collect_blocks(tokens, where: str, offset: int) -> List[dict]:
    """Every special fenced block of a parsed lesson, in order, with its absolute line number."""
    blocks = []
    for token in tokens:
        if token.type != 'fence':
            continue
        kind = token.info.strip().split(' ')[0]
        line = token.map[0] + offset
        if kind == 'py-cell':
            blocks.append({'kind': kind, 'attrs': {}, 'text': token.content, 'line': line, 'lines': {}})
        elif kind in BLOCKS:
            blocks.append(parse_block(kind, token.content.rstrip('\n'), where, line))
        token.meta['block'] = len(blocks) - 1 if kind in BLOCKS else None
    return blocks


def check_blocks(blocks: List[dict], where: str) -> None:
    """The checks that need no page code: required keys, a page's shared settings, button actions."""
    shared = {}  # key -> (value, line): the settings of the page's one engine
    for block in blocks:
        attrs, kind = block['attrs'], block['kind']
        at = lambda key: '%s:%d' % (where, block['lines'].get(key, block['line']))  # noqa: E731
        if kind == 'glassbox':
            if 'view' not in attrs:
                raise LessonError('%s: a glassbox block needs "view: NAME"' % at('view'))
            for key, value in attrs.items():
                if key in VIEW_KEYS:
                    continue
                if key in shared and shared[key][0] != value:
                    raise LessonError('%s: %s: %s contradicts %s: %s at line %d: every view on a page shares one '
                                      'network, so set it once (a button block changes it)'
                                      % (at(key), key, value, key, shared[key][0], shared[key][1]))
                shared.setdefault(key, (value, block['lines'][key]))
        elif kind == 'task':
            for key in ('condition', 'done'):
                if not attrs.get(key):
                    raise LessonError('%s: a task block needs "%s: ..."' % (at(key), key))
            if not block['text']:
                raise LessonError('%s:%d: a task block needs its text (what to try) after its key lines'
                                  % (where, block['line']))
        elif kind == 'button':
            if not attrs.get('label'):
                raise LessonError('%s: a button block needs "label: ..."' % at('label'))
            if 'action' in attrs and attrs['action'] not in ACTIONS:
                raise LessonError('%s: unknown action "%s" (use %s)' % (at('action'), attrs['action'], ', '.join(ACTIONS)))
            if 'action' in attrs and len(attrs) > 2:
                raise LessonError('%s: a button has either "action:" or settings, not both' % at('action'))


def task_settings(attrs: dict) -> dict:
    """A task's URL keys: it counts only while the page's settings have these values."""
    return {k: v for k, v in attrs.items() if k not in ('condition', 'done')}


def validate_with_page_code(items: List[dict], tables: dict) -> List[str]:
    """Run lessons/validate.mjs in node: the page's URL schema, view list and task conditions
    judge every item ({id, view?, settings?, condition?}). Returns its error messages by id."""
    request = json.dumps({'tables': tables, 'items': items})
    try:
        result = subprocess.run(['node', '--no-warnings', str(HERE / 'validate.mjs')], input=request,
                                capture_output=True, text=True, cwd=str(HERE.parent), timeout=120)
    except FileNotFoundError:
        raise LessonError('node is needed to check the lessons against the page code (install Node.js)')
    if result.returncode != 0:
        raise LessonError('lessons/validate.mjs failed: ' + (result.stderr.strip() or result.stdout.strip())[-2000:])
    return json.loads(result.stdout)


def validate(lessons: List[dict], tables: dict) -> None:
    """Check every lesson's blocks against the page code; raise LessonError naming file:line."""
    items, places = [], []
    for lesson in lessons:
        for block in lesson['blocks']:
            attrs = block['attrs']
            if block['kind'] == 'glassbox':
                settings = {k: v for k, v in attrs.items() if k not in VIEW_KEYS}
                items.append({'view': attrs['view'], 'settings': settings})
                places.append((lesson, block))
            elif block['kind'] == 'task':
                items.append({'condition': attrs['condition'], 'settings': task_settings(attrs)})
                places.append((lesson, block))
            elif block['kind'] == 'button' and 'action' not in attrs:
                items.append({'settings': {k: v for k, v in attrs.items() if k != 'label'}})
                places.append((lesson, block))
    answers = validate_with_page_code(items, tables)
    for (lesson, block), answer in zip(places, answers):
        if answer:
            key = answer.get('key')
            line = block['lines'].get(key, block['line'])
            raise LessonError('%s:%d: %s' % (lesson['where'], line, answer['error']))


def read_lesson(path: Path, md: MarkdownIt) -> dict:
    where = 'lessons/' + path.name
    match = NAME.match(path.name)
    if not match:
        raise LessonError('%s: lesson files are named NN-slug.md (e.g. 01-one-neuron.md)' % where)
    meta, body, offset = split_front_matter(path.read_text(encoding='utf-8'), where)
    tokens = md.parse(body)
    blocks = collect_blocks(tokens, where, offset)
    check_blocks(blocks, where)
    words = len(re.findall(r"[A-Za-z0-9'’-]+", re.sub(r'```.*?```', ' ', body, flags=re.S)))
    return {'slug': path.stem, 'number': int(match.group(1)), 'where': where, 'title': meta['title'],
            'summary': meta['summary'], 'tokens': tokens, 'blocks': blocks, 'words': words,
            'minutes': max(1, math.ceil(words / WORDS_PER_MINUTE))}


def _attr(value: str) -> str:
    return html.escape(str(value), quote=True)


def render_block(block: dict, index: int, md: MarkdownIt, blocks: List[dict] = ()) -> str:
    """One special block as HTML; ``blocks``: all of the page's, to number its tasks."""
    attrs, kind = block['attrs'], block['kind']
    number = 1 + sum(1 for other in list(blocks)[:index] if other['kind'] == 'task')
    if kind == 'glassbox':
        parts = ''.join(' %s="%s"' % (k, _attr(v)) for k, v in attrs.items() if k != 'caption')
        caption = ('<figcaption>%s</figcaption>' % md.renderInline(attrs['caption'])) if attrs.get('caption') else ''
        return '<figure class="lesson-view"><glassbox-view%s></glassbox-view>%s</figure>\n' % (parts, caption)
    if kind == 'task':
        # A group, not a landmark: a page has several tasks; each is named by its number.
        return ('<div class="lesson-task" role="group" data-condition="%s" data-done="%s" data-when="%s" aria-label="Try this, task %d">'
                '<p class="task-head"><span class="task-mark" aria-hidden="true"></span>'
                '<span class="task-label">Try this</span></p>%s'
                '<p class="task-status" role="status" aria-live="polite"></p></div>\n'
                % (_attr(attrs['condition']), _attr(attrs['done']), _attr(json.dumps(task_settings(attrs))),
                   number, md.render(block['text'])))
    if kind == 'button':
        data = json.dumps({'action': attrs['action']} if 'action' in attrs
                          else {'settings': {k: v for k, v in attrs.items() if k != 'label'}})
        return ('<p class="lesson-button-row"><button type="button" class="lesson-button" data-do="%s">%s</button></p>\n'
                % (_attr(data), html.escape(attrs['label'])))
    return '<glassbox-py-cell>%s</glassbox-py-cell>\n' % html.escape(block['text'])


def render_body(lesson: dict, md: MarkdownIt) -> str:
    rules = md.renderer.rules
    default_fence = rules.get('fence')
    blocks = lesson['blocks']

    def fence(renderer, tokens, idx, options, env):
        block = tokens[idx].meta.get('block')
        if block is None:
            return default_fence(tokens, idx, options, env)
        return render_block(blocks[block], block, md, blocks)
    md.add_render_rule('fence', fence)
    try:
        return md.renderer.render(lesson['tokens'], md.options, {})
    finally:
        rules['fence'] = default_fence


# Both kinds of page share this head; `styles` are the page's own stylesheets after style.css.
HEAD = '''<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title}</title>
  <link rel="icon" href="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Ccircle cx='8' cy='8' r='6' fill='%232563eb'/%3E%3C/svg%3E">
  <link rel="stylesheet" href="../css/style.css">
{styles}</head>
'''


def page_head(title: str, *sheets: str) -> str:
    return HEAD.format(title=title, styles=''.join('  <link rel="stylesheet" href="../css/%s">\n' % n for n in sheets))


PAGE = '''{head}<body class="lesson-page">
  <header class="top lesson-top">
    <a class="lesson-home" href="../index.html">Glassbox</a>
    <nav aria-label="Lessons"><a href="index.html">All lessons</a></nav>
  </header>
{bar}  <main class="lesson" id="main">
    <p class="lesson-meta">Lesson {number} · {minutes} min read</p>
    <h1>{title}</h1>
{body}  </main>
  <nav class="lesson-pager" aria-label="Previous and next lesson">{prev}{next}</nav>
{scripts}</body>
</html>
'''

BAR = '''  <div class="lesson-bar" role="region" aria-label="Training">
    <button type="button" data-act="play">Play</button>
    <button type="button" data-act="step">Step ×10</button>
    <button type="button" data-act="reset">Reset</button>
    <span class="lesson-state" aria-live="off">Starting the engine…</span>
  </div>
'''

INDEX = '''{head}<body class="lesson-page">
  <header class="top lesson-top">
    <a class="lesson-home" href="../index.html">Glassbox</a>
  </header>
  <main class="lesson lesson-index" id="main">
    <h1>Lessons</h1>
    <p>Short lessons with live networks in the page: read, press Play, and try the task at the end of each part.
    Every network trains in your browser.</p>
    <ol class="lesson-list">
{items}    </ol>
  </main>
</body>
</html>
'''


def render_page(lesson: dict, prev: dict, nxt: dict, md: MarkdownIt) -> str:
    kinds = {block['kind'] for block in lesson['blocks']}
    scripts = '  <script type="module" src="../js/lessons/lesson.js"></script>\n'
    if 'py-cell' in kinds:
        scripts += '  <script type="module" src="../js/lessons/py-cell.js"></script>\n'
    link = lambda other, rel, text: ('<a rel="%s" href="%s.html">%s: %s</a>' % (  # noqa: E731
        rel, other['slug'], text, html.escape(other['title']))) if other else '<span></span>'
    title = html.escape(lesson['title'])
    return PAGE.format(head=page_head(title + ' — Glassbox lessons', 'views.css', 'lessons.css'),
                       title=title, number=lesson['number'], minutes=lesson['minutes'],
                       body=render_body(lesson, md), bar=BAR if 'glassbox' in kinds else '',
                       prev=link(prev, 'prev', 'Previous'), next=link(nxt, 'next', 'Next'), scripts=scripts)


def render_index(lessons: List[dict]) -> str:
    items = ''.join('      <li><a href="%s.html">%s</a> <span class="lesson-minutes">%d min</span><p>%s</p></li>\n'
                    % (l['slug'], html.escape(l['title']), l['minutes'], html.escape(l['summary'])) for l in lessons)
    return INDEX.format(head=page_head('Lessons — Glassbox', 'lessons.css'), items=items)


def load_lessons(source: Path = HERE) -> List[dict]:
    md = _markdown()
    return [read_lesson(path, md) for path in sorted(Path(source).glob('*.md')) if path.name != 'README.md']


def build_lessons(out: Path, tables: dict, source: Path = HERE) -> Dict[str, int]:
    """Write out/lessons/<slug>.html for every lesson and out/lessons/index.html; returns
    slug -> words. Raises LessonError (file:line) on any bad lesson, before writing anything."""
    md = _markdown()
    lessons = load_lessons(source)
    validate(lessons, tables)
    target = Path(out) / 'lessons'
    target.mkdir(parents=True, exist_ok=True)
    for i, lesson in enumerate(lessons):
        prev = lessons[i - 1] if i > 0 else None
        nxt = lessons[i + 1] if i + 1 < len(lessons) else None
        (target / (lesson['slug'] + '.html')).write_text(render_page(lesson, prev, nxt, md), encoding='utf-8')
    (target / 'index.html').write_text(render_index(lessons), encoding='utf-8')
    return {lesson['slug']: lesson['words'] for lesson in lessons}
