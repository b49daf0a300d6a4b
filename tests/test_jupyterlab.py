"""Every notebook as a learner meets it: opened in JupyterLab in Chromium, Run All, saved.

One JupyterLab (course/lab.py) serves a temporary copy of the course, and one Chromium drives
it through its menus (course/browser.py). For each notebook: open it alone (`?reset`), answer
the news toast, Edit > Clear Outputs of All Cells, Run > Run All Cells, wait until the run is
over, File > Save Notebook, and judge the saved copy:

- lessons and solutions: every code cell ran, no error outside cells tagged `raises-exception`,
  and each cell's fresh outputs equal its stored ones, compared as nbval compares them (same
  sanitize file, same skipped keys, same tags);
- exercises: every code cell ran, every check cell shows its short report (not a traceback),
  and no other cell failed.

Then the live docs: a server on 127.0.0.1, reached through JupyterLab's /proxy/<port>/, as a
learner on Binder reaches it. No page may request anything outside 127.0.0.1.
"""

import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import nbformat
import pytest
from playwright.sync_api import Browser

from course.browser import (
    chromium,
    chromium_path,
    clear_all_outputs,
    dismiss_news,
    offline_page,
    open_notebook,
    run_all_cells,
    save_notebook,
    serving,
)
from course.lab import Lab, running_lab
from taskboard.main import create_app
from tests.conftest import ROOT
from tests.notebook_runs import error_text, judge_exercise, judge_lesson

pytestmark = pytest.mark.skipif(
    chromium_path() is None,
    reason="BROWSER TESTS SKIPPED: no Chromium on this machine (apt-get install chromium)",
)

# Collected when the tests run: whatever the notebooks are then.
NOTEBOOKS = [
    path.relative_to(ROOT).as_posix()
    for folder in ("notebooks", "exercises", "solutions")
    for path in sorted((ROOT / folder).glob("[0-9][0-9]_*.ipynb"))
]
SECONDS: dict[str, tuple[float, float]] = {}


@pytest.fixture(scope="module")
def lab(request: pytest.FixtureRequest) -> Iterator[Lab]:
    request.config.pluginmanager.register(TimesReport(), "jupyterlab-times")
    started = time.monotonic()
    with running_lab() as lab:
        SECONDS["(JupyterLab starts)"] = (time.monotonic() - started, 0.0)
        yield lab


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


class TimesReport:
    """A pytest plugin: what each notebook took, in the terminal summary.

    Under xdist the summary is the controller's, which does not see these times; `--durations`
    shows each test's time there.
    """

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if not SECONDS:
            return
        write = terminalreporter.write_line
        terminalreporter.section("JupyterLab: seconds to open (page and kernel) and to Run All")
        for name, (opened, ran) in SECONDS.items():
            write(f"{name:<44} {opened:>6.1f} {ran:>6.1f}")
        write(f"{'total':<44} {sum(a + b for a, b in SECONDS.values()):>13.1f}")


def run_all_in_jupyterlab(lab: Lab, browser: Browser, path: str) -> nbformat.NotebookNode:
    """Open `path`, clear it, Run All, save; return the saved notebook."""
    started = time.monotonic()
    try:
        with offline_page(browser, lab.url) as (page, offline):
            dismiss_news(page)
            open_notebook(page, lab.tree(path))
            opened = time.monotonic() - started
            clear_all_outputs(page)
            ran = run_all_cells(page)
            save_notebook(page)
    finally:
        lab.stop_kernels()
    SECONDS[path] = (opened, ran)
    assert offline.refused == [], f"the page tried to reach beyond 127.0.0.1: {offline.refused}"
    return nbformat.read(lab.root / path, as_version=4)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.removesuffix(".ipynb"))
def test_run_all_in_jupyterlab(lab: Lab, browser: Browser, path: str) -> None:
    stored = nbformat.read(lab.root / path, as_version=4)  # before the browser saves over it
    fresh = run_all_in_jupyterlab(lab, browser, path)
    if path.startswith("exercises/"):
        problems = judge_exercise(fresh)
    else:
        problems = judge_lesson(stored, fresh)
    assert not problems, f"{path} after Run All in JupyterLab:\n" + "\n".join(problems)


# Live docs through JupyterLab's proxy (jupyter-server-proxy): how a learner opens the /docs of a
# server a lesson started, on their machine and on Binder.

# What each docs page draws per operation once the schema has loaded and rendered.
OPERATION = {"docs": ".opblock", "redoc": "[data-section-id^='operation/']"}


def _render_operations(browser: Browser, lab: Lab, url: str, page_name: str) -> list[str]:
    """Open `url` (a docs page behind the proxy) and wait until it draws every operation of the
    schema beside it; return the requests refused for leaving 127.0.0.1."""
    schema = httpx2.get(url.rsplit("/", 1)[0] + "/openapi.json", headers=lab.headers).json()
    operations = sum(len(item) for item in schema["paths"].values())
    with offline_page(browser, lab.url) as (page, offline):
        page.goto(f"{url}?token={lab.token}")
        page.wait_for_function(
            "([selector, n]) => document.querySelectorAll(selector).length >= n",
            arg=[OPERATION[page_name], operations],
            timeout=60_000,
        )
        assert page.locator(OPERATION[page_name]).count() == operations
    return offline.refused


def test_the_proxy_serves_taskboards_schema(lab: Lab) -> None:
    app = create_app()
    with serving(app) as url:
        port = url.rsplit(":", 1)[1]
        response = httpx2.get(f"{lab.url}/proxy/{port}/openapi.json", headers=lab.headers)
        without_token = httpx2.get(f"{lab.url}/proxy/{port}/openapi.json")
    assert response.status_code == 200
    assert response.json() == app.openapi()
    assert without_token.is_redirect, "the proxy is behind JupyterLab's login"
    assert without_token.headers["location"].startswith("/login")


@pytest.mark.parametrize("page_name", ["docs", "redoc"])
def test_the_docs_render_through_the_proxy_offline(
    lab: Lab, browser: Browser, page_name: str
) -> None:
    with serving(create_app()) as url:
        port = url.rsplit(":", 1)[1]
        page_url = f"{lab.url}/proxy/{port}/{page_name}"
        refused = _render_operations(browser, lab, page_url, page_name)
    assert refused == [], "the page tried to reach beyond 127.0.0.1"


def test_a_kernels_docs_link_opens_its_servers_docs(lab: Lab, browser: Browser) -> None:
    """As in a lesson: the kernel starts a server and prints docs_link(); the link works."""
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "from contextlib import ExitStack\n\n"
                "from course.browser import serving\n"
                "from course.lab import docs_link\n"
                "from taskboard.main import create_app\n\n"
                "servers = ExitStack()  # kept open: the server runs until the kernel stops\n"
                "url = servers.enter_context(serving(create_app()))\n"
                'port = int(url.rsplit(":", 1)[1])\n'
                "print(port)\n"
                "print(docs_link(port))"
            )
        ],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}},
    )
    path = Path("scratch") / "docs_link.ipynb"
    (lab.root / path.parent).mkdir(exist_ok=True)
    nbformat.write(notebook, lab.root / path)
    with offline_page(browser, lab.url) as (page, _):
        dismiss_news(page)
        open_notebook(page, lab.tree(path.as_posix()))
        clear_all_outputs(page)
        run_all_cells(page)
        save_notebook(page)
        # The kernel, and its server, are still running: follow the printed link.
        outputs = nbformat.read(lab.root / path, as_version=4).cells[0].outputs
        try:
            assert not [error_text(output) for output in outputs if output.output_type == "error"]
            port, link = "".join(output.get("text", "") for output in outputs).split()
            assert link == f"{lab.url}/proxy/{port}/docs"
            refused = _render_operations(browser, lab, link, "docs")
        finally:
            lab.stop_kernels()
    assert refused == []
