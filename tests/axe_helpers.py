"""axe-core (npm axe-core, node_modules/axe-core/axe.min.js) in a Playwright page: violations by impact,
and the combined report test-artifacts/axe-report.json / .md that tests/test_accessibility_page.py writes."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
AXE = ROOT / 'node_modules' / 'axe-core' / 'axe.min.js'
IMPACTS = ('critical', 'serious', 'moderate', 'minor')
BLOCKING = ('critical', 'serious')

# Runs axe on the document (WCAG 2.0/2.1/2.2 A and AA and axe's best practices) and keeps what a
# reader of the report needs: the rule, its impact, and each failing element (selector, markup, why).
RUN = """async (options) => {
    const result = await window.axe.run(document, options);
    return {url: location.href, version: window.axe.version, violations: result.violations.map((v) => ({
        id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl, tags: v.tags,
        nodes: v.nodes.map((n) => ({target: n.target.map(String), impact: n.impact,
            html: n.html.slice(0, 300), summary: n.failureSummary})),
    }))};
}"""
OPTIONS = {'runOnly': {'type': 'tag', 'values': ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']},
           'resultTypes': ['violations']}


def run_axe(page, options=None) -> dict:
    """axe's violations on ``page`` now: {url, version, violations: [{id, impact, help, nodes}], counts}.
    ``counts`` has every impact (0 when none), counted in rules, and ``nodes`` the failing elements."""
    if not AXE.exists():
        pytest.skip('npm axe-core is not installed (node_modules/axe-core)')
    if not page.evaluate('Boolean(window.axe)'):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate(RUN, options or OPTIONS)
    result['counts'] = {impact: sum(v['impact'] == impact for v in result['violations']) for impact in IMPACTS}
    result['nodes'] = {impact: sum(len(v['nodes']) for v in result['violations'] if v['impact'] == impact)
                       for impact in IMPACTS}
    return result


def blocking(result) -> list:
    """The serious and critical violations, one line per failing element (what an assertion prints)."""
    return ['%s (%s) %s: %s' % (v['id'], v['impact'], ' '.join(n['target']), n['summary'].replace('\n', ' '))
            for v in result['violations'] if v['impact'] in BLOCKING for n in v['nodes']]


def write_report(results: dict, directory: Path) -> None:
    """axe-report.json (everything) and axe-report.md (page, counts by impact, rule ids) in ``directory``;
    ``results`` maps a page name to run_axe's result."""
    directory.mkdir(exist_ok=True)
    (directory / 'axe-report.json').write_text(json.dumps(results, indent=1))
    lines = ['# axe-core report', '',
             'Rules per impact (failing elements in brackets); 0 serious and 0 critical is the bar.', '',
             '| page | critical | serious | moderate | minor | rules |', '| --- | --- | --- | --- | --- | --- |']
    for name, result in sorted(results.items()):
        counts = ['%d (%d)' % (result['counts'][i], result['nodes'][i]) for i in IMPACTS]
        rules = ', '.join('%s (%s)' % (v['id'], v['impact']) for v in result['violations']) or 'none'
        shown = name + (' (its views never drew)' if result.get('views_drawn') is False else '')
        lines.append('| %s | %s | %s |' % (shown, ' | '.join(counts), rules))
    (directory / 'axe-report.md').write_text('\n'.join(lines) + '\n')
