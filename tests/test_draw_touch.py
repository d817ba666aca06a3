"""The drawing pad with a real touch screen (Chromium touch emulation, strokes sent through CDP
Input.dispatchTouchEvent): a finger's stroke draws ink and gets a prediction instead of being
cancelled as a page scroll. Screenshot: test-artifacts/draw-touch.png."""
from __future__ import annotations

from conftest import open_app


def test_a_touch_stroke_on_the_draw_pad_draws_ink_and_a_prediction(browser, site_url, artifacts_dir):
    context = browser.new_context(viewport={'width': 390, 'height': 844}, has_touch=True, is_mobile=True, device_scale_factor=2)
    try:
        page = context.new_page()
        open_app(page, site_url, '#page=inputs&tab=draw&autoplay=false&dataset=digits')
        layer = page.locator('.gbi-pad-touch')
        layer.scroll_into_view_if_needed()
        assert page.evaluate("getComputedStyle(document.querySelector('.gbi-pad-touch')).touchAction") == 'none'
        page.evaluate("""() => { window.cancelled = 0;
            document.querySelector('.gbi-pad-touch').addEventListener('pointercancel', () => window.cancelled++); }""")
        box = layer.bounding_box()
        x, y0, h = box['x'] + box['width'] / 2, box['y'] + 0.15 * box['height'], 0.7 * box['height']
        cdp = context.new_cdp_session(page)
        touch = lambda kind, points: cdp.send('Input.dispatchTouchEvent', {'type': kind, 'touchPoints': points})
        touch('touchStart', [{'x': x, 'y': y0}])
        for k in range(1, 16):  # a "1": one vertical stroke, fifteen moves
            touch('touchMove', [{'x': x + (k % 2), 'y': y0 + h * k / 15}])
        touch('touchEnd', [])
        page.wait_for_function('glassbox.inputsViews.draw.result !== null && glassbox.inputsViews.draw.input !== null', timeout=30_000)
        drawn = page.evaluate('Array.from(glassbox.inputsViews.draw.input)')
        rows_inked = {i // 8 for i, v in enumerate(drawn) if v > 0.2}
        assert len(rows_inked) >= 5, rows_inked  # the whole stroke, not two moves' worth
        assert page.evaluate('window.cancelled') == 0
        pred, n_probs = page.evaluate('[glassbox.inputsViews.draw.result.pred, glassbox.inputsViews.draw.result.probs.data.length]')
        assert 0 <= pred < 10 and n_probs == 10
        assert f'predicted {pred}' in page.evaluate('glassbox.inputsViews.draw.describe()')
        # The viewport, pad in view (element shots are offset under mobile emulation's zoom).
        page.evaluate("document.querySelector('.gbi-pad-touch').scrollIntoView({block: 'start'})")
        page.screenshot(path=str(artifacts_dir / 'draw-touch.png'))
    finally:
        context.close()
