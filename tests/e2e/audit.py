"""Every page the journeys visit: axe-core on the spot, the Nu HTML checker once at the end."""

import json
import re
import shutil
import subprocess
from pathlib import Path

from playwright.sync_api import Browser, Page, Route

from tests.e2e.helpers import new_context

NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules"
AXE_JS = NODE_MODULES / "axe-core" / "axe.min.js"
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
RUN_AXE = """async (tags) => (await axe.run(document, {
  runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})).violations"""
VNU_SECONDS = 120


class PageAudit:
    """Collects each page's HTML and axe violations under a name such as "no-js: idea"."""

    def __init__(self, browser: Browser, html_dir: Path) -> None:
        self.html_dir = html_dir
        self.files: dict[str, Path] = {}
        self.axe: dict[str, list[str]] = {}
        self._axe_source = AXE_JS.read_text()
        # axe needs JavaScript, so pages seen without it are replayed here: same URL (same
        # stylesheet, same contrast), the saved HTML, and no script of ours.
        self._replay = new_context(browser)
        self._replay_page = self._replay.new_page()
        self._replay_html = ""
        self._replay_page.route("**/*", self._serve_replay)

    def _serve_replay(self, route: Route) -> None:
        if route.request.resource_type == "document":
            route.fulfill(body=self._replay_html, content_type="text/html; charset=utf-8")
        elif route.request.resource_type == "script":
            route.abort()
        else:
            route.continue_()

    def check(self, page: Page, name: str, javascript: bool) -> None:
        """Save the page's HTML for the Nu checker and run axe-core on it."""
        name = f"{'js' if javascript else 'no-js'}: {name}"
        assert name not in self.files, f"two pages are named {name!r}"
        # A click returns once the new page commits; contrast and sizes need its stylesheet.
        page.wait_for_load_state("load")
        html = page.content()
        path = self.html_dir / (re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") + ".html")
        path.write_text(html, encoding="utf-8")
        self.files[name] = path
        target = page
        if not javascript:
            # With scripts off in the page, axe's timers would never fire.
            self._replay_html = html
            self._replay_page.goto(page.url)
            target = self._replay_page
        target.evaluate(self._axe_source)
        violations = target.evaluate(RUN_AXE, AXE_TAGS)
        self.axe[name] = [
            f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
            for v in violations
        ]

    def problems(self) -> list[str]:
        """Every Nu checker message and axe violation of the pages checked, a line each."""
        return [
            f"{name}: {kind} {message}"
            for name, messages in self.validate_html().items()
            for kind, found in (("vnu", messages), ("axe", self.axe.get(name, [])))
            for message in found
        ]

    def validate_html(self) -> dict[str, list[str]]:
        """One Nu HTML checker run over every saved page; its errors by page name."""
        java = shutil.which("java")
        assert java, "java is missing: install the Debian package default-jre-headless"
        names = {path.resolve(): name for name, path in self.files.items()}
        result = subprocess.run(
            [java, "-jar", str(VNU_JAR), "--errors-only", "--format", "json", *map(str, names)],
            capture_output=True,
            text=True,
            timeout=VNU_SECONDS,
        )
        # vnu writes its JSON report to stderr; exit status 1 just means "some errors".
        assert result.returncode in (0, 1), f"vnu failed:\n{result.stderr}"
        errors: dict[str, list[str]] = {name: [] for name in self.files}
        for message in json.loads(result.stderr)["messages"]:
            url = message.get("url", "")
            name = names.get(Path(url.removeprefix("file:")).resolve(), url or "(vnu)")
            line = message.get("lastLine", "?")
            errors.setdefault(name, []).append(f"line {line}: {message['message']}")
        return errors

    def close(self) -> None:
        self._replay.close()
