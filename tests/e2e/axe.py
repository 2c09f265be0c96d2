"""axe-core (WCAG 2.1 A and AA rules) run inside a page of the e2e browser.

axe-core comes from the npm registry, pinned in tests/e2e/package-lock.json: install it with
`npm ci --prefix tests/e2e`. It is evaluated through the DevTools protocol, so the pages' strict
Content-Security-Policy stays on (an injected <script> would be blocked).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

AXE_SOURCE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

_RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ') + ' — ' + n.failureSummary),
  }));
}"""


async def axe_violations(page: Any) -> list[dict[str, Any]]:
    if not AXE_SOURCE.exists():
        pytest.fail(f"{AXE_SOURCE} is missing: run `npm ci --prefix tests/e2e`")
    if not await page.evaluate("() => typeof window.axe === 'object'"):
        await page.evaluate(AXE_SOURCE.read_text(encoding="utf-8") + "\n;0")
    return list(await page.evaluate(_RUN, WCAG_21_AA))


async def assert_accessible(page: Any, state: str) -> None:
    violations = await axe_violations(page)
    assert violations == [], f"{state}: axe-core WCAG 2.1 A/AA violations:\n" + "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["nodes"])
        for v in violations
    )
