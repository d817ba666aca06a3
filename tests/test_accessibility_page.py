"""axe-core on every page a student or a course author opens: 0 serious and 0 critical violations on
the app in each mode (URL key ``page``), on the lessons (index and each lesson) and on an embed.

Every page axe looked at goes into test-artifacts/axe-report.json and axe-report.md (tests/axe_helpers.py),
written when this file's tests end. Pages a build does not have yet (no modes, no lessons, no
embed.html) are skipped with the reason.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from axe_helpers import blocking, run_axe, write_report
from conftest import DIST, DRAWN, READY_MS, collect_errors, frames
PlaywrightTimeout = pytest.importorskip('playwright.sync_api').TimeoutError

MODES = ('train', 'inputs', 'health', 'modules', 'swarm')
# The lessons of this build (dist/lessons/*.html), known when the tests are collected.
LESSONS = sorted(p.name for p in (DIST / 'lessons').glob('*.html')) or [None]
# Waits for the live views of a lesson: every <glassbox-view> defined and its engine ready.
VIEWS_READY = """async () => {
    const views = [...document.querySelectorAll('glassbox-view')];
    if (!views.length) return 0;
    await customElements.whenDefined('glassbox-view');
    await Promise.all(views.map((v) => v.app && v.app.ready));
    return views.length;
}"""
# Then until each has drawn (DRAWN counts shapes): axe should see what a student reads, not only the
# "waiting…" states (which it also checks when a view never draws: the report says so).
ALL_DRAWN = '(drawn) => [...document.querySelectorAll("glassbox-view")].every((v) => (%s)(v) > 0)'


@pytest.fixture(scope='module')
def report(artifacts_dir):
    results = {}
    yield results
    if results:
        write_report(results, artifacts_dir)


def check(page, name, report, artifacts_dir, **notes):
    result = dict(run_axe(page), **notes)
    report[name] = result
    page.screenshot(path=str(artifacts_dir / ('axe-%s.png' % re.sub(r'[^A-Za-z0-9.]+', '-', name))))
    problems = blocking(result)
    assert not problems, '%s: %d serious/critical:\n%s' % (name, len(problems), '\n'.join(problems))
    return result


def test_axe_finds_what_it_should_on_a_page_built_to_fail(page, report):
    """The helper itself: an image with no text alternative and a button with no name are found."""
    page.set_content('<html lang="en"><head><title>bad</title></head><body><main>'
                     '<img src="data:,"><button></button></main></body></html>')
    result = run_axe(page)
    found = {v['id']: v['impact'] for v in result['violations']}
    assert found.get('image-alt') == 'critical' and found.get('button-name') == 'critical', found
    assert result['counts']['critical'] >= 2 and len(blocking(result)) >= 2


@pytest.mark.parametrize('mode', MODES)
def test_the_app_has_no_serious_or_critical_violations_in_each_mode(shared_app, mode, report, artifacts_dir):
    page, _ = shared_app.reset({})
    modes = page.evaluate("(glassbox.schema.find((row) => row.key === 'page') || {}).options || null")
    if modes is None and mode != 'train':
        pytest.skip('this build has no page modes (no URL key `page`): the page as it is is checked as train')
    if modes is not None:
        assert mode in modes, modes
        page, _ = shared_app.reset({'page': mode})
    # What a student sees after pressing Step a few times: every view drawn with real numbers.
    page.evaluate('glassbox.train({steps: 20})')
    page.evaluate("glassbox.request('runtime')")
    frames(page, 3)
    check(page, 'app page=' + mode, report, artifacts_dir)


@pytest.mark.parametrize('lesson', LESSONS)
def test_every_lesson_has_no_serious_or_critical_violations(page, site_url, dist_dir, lesson, report, artifacts_dir):
    if lesson is None:
        pytest.skip('this build has no lessons (dist/lessons/*.html)')
    page.set_default_timeout(READY_MS)
    page.goto(site_url + 'lessons/' + lesson)
    views = page.evaluate(VIEWS_READY)
    drawn = True
    try:
        page.wait_for_function(ALL_DRAWN % DRAWN, timeout=READY_MS)
    except PlaywrightTimeout:
        drawn = False
    frames(page, 3)
    check(page, 'lessons/' + lesson, report, artifacts_dir, views=views, views_drawn=drawn)


def test_an_embedded_view_has_no_serious_or_critical_violations(browser, site_url, dist_dir, report, artifacts_dir):
    if not (Path(dist_dir) / 'embed.html').exists():
        pytest.skip('this build has no embed.html')
    context = browser.new_context(viewport={'width': 640, 'height': 480})
    page = collect_errors(context.new_page())
    try:
        page.set_default_timeout(READY_MS)
        page.goto(site_url + 'embed.html?view=network#autoplay=false')
        page.wait_for_function('window.glassbox && window.glassbox.ready')
        page.evaluate('window.glassbox.ready')
        page.evaluate('window.glassbox.train({steps: 20})')
        frames(page, 3)
        check(page, 'embed.html?view=network', report, artifacts_dir)
    finally:
        context.close()
