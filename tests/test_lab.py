"""course.lab without a browser: the docs link in each place a lesson runs, JupyterLab's
command line and environment; and the judge of tests/test_jupyterlab.py, on notebooks that
are right and on each way one can be wrong.
"""

import json
import os
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from course.lab import docs_link, jupyter_server_info, lab_command, lab_environment
from tests.notebook_runs import comparable, is_short_report, judge_exercise, judge_lesson

# --- docs_link: where the learner's browser finds a server the kernel started ----------------


def _runtime_with_server(tmp_path: Path, pid: int, url: str) -> dict[str, str]:
    """An environment whose Jupyter runtime folder holds the info file of a server `pid`."""
    info = {"url": url, "base_url": "/", "pid": pid, "token": "secret", "port": 8888}
    (tmp_path / f"jpserver-{pid}.json").write_text(json.dumps(info))
    return {"JUPYTER_RUNTIME_DIR": str(tmp_path)}


def test_outside_jupyter_the_link_is_the_server_itself(tmp_path: Path) -> None:
    env = {"JUPYTER_RUNTIME_DIR": str(tmp_path)}
    assert docs_link(8000, env=env) == "http://127.0.0.1:8000/docs"
    assert docs_link(8000, "redoc", env=env) == "http://127.0.0.1:8000/redoc"


def test_in_jupyterlab_the_link_goes_through_its_proxy(tmp_path: Path) -> None:
    # The kernel's parent process is the Jupyter server that started it.
    env = _runtime_with_server(tmp_path, os.getppid(), "http://127.0.0.1:8888/")
    assert docs_link(8000, env=env) == "http://127.0.0.1:8888/proxy/8000/docs"


def test_under_a_base_url_the_link_keeps_it(tmp_path: Path) -> None:
    env = _runtime_with_server(tmp_path, os.getppid(), "http://127.0.0.1:8888/course/")
    assert docs_link(8000, "/redoc", env=env) == "http://127.0.0.1:8888/course/proxy/8000/redoc"


def test_another_jupyter_server_is_not_ours(tmp_path: Path) -> None:
    """A JupyterLab that did not start this kernel (nbval's kernel, a learner's other tab)."""
    env = _runtime_with_server(tmp_path, os.getpid() + 100_000, "http://127.0.0.1:8888/")
    assert docs_link(8000, env=env) == "http://127.0.0.1:8000/docs"


def test_an_unreadable_server_file_is_no_server(tmp_path: Path) -> None:
    (tmp_path / f"jpserver-{os.getppid()}.json").write_text("{half written")
    env = {"JUPYTER_RUNTIME_DIR": str(tmp_path)}
    assert jupyter_server_info(env) is None
    assert docs_link(8000, env=env) == "http://127.0.0.1:8000/docs"


def test_on_binder_the_link_is_under_the_users_prefix(tmp_path: Path) -> None:
    """JupyterHub (Binder) gives the server's prefix; its pages are on the same host."""
    env = _runtime_with_server(tmp_path, os.getppid(), "http://0.0.0.0:8888/user/ada-x1/")
    env["JUPYTERHUB_SERVICE_PREFIX"] = "/user/ada-x1/"
    assert docs_link(8000, env=env) == "/user/ada-x1/proxy/8000/docs"


def test_on_a_hub_with_a_public_url_the_link_is_whole() -> None:
    env = {
        "JUPYTERHUB_SERVICE_PREFIX": "/user/ada/",
        "JUPYTERHUB_PUBLIC_URL": "https://hub.example.org/user/ada/",
    }
    assert docs_link(8000, env=env) == "https://hub.example.org/user/ada/proxy/8000/docs"


def test_on_a_hub_with_its_own_host_the_link_names_it() -> None:
    env = {"JUPYTERHUB_SERVICE_PREFIX": "/user/ada/", "JUPYTERHUB_HOST": "https://ada.hub.org"}
    assert docs_link(8000, env=env) == "https://ada.hub.org/user/ada/proxy/8000/docs"


def test_the_link_uses_the_real_environment_by_default() -> None:
    """pytest is no Jupyter server and no hub: the link is the server's own address."""
    if "JUPYTERHUB_SERVICE_PREFIX" in os.environ or jupyter_server_info() is not None:
        pytest.skip("this test runs under JupyterHub or a Jupyter server")
    assert docs_link(8123) == "http://127.0.0.1:8123/docs"


# --- JupyterLab's command line and environment ----------------------------------------------


def test_nothing_of_jupyter_or_ipython_is_written_to_home(tmp_path: Path) -> None:
    base = {"HOME": "/home/ada", "PATH": "/usr/bin", "JUPYTERHUB_SERVICE_PREFIX": "/user/ada/"}
    env = lab_environment(tmp_path, base)
    folders = ["JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"]
    for variable in [*folders, "XDG_CACHE_HOME"]:
        assert Path(env[variable]).parent == tmp_path
        assert Path(env[variable]).is_dir()
    assert env["PATH"] == "/usr/bin"
    assert "JUPYTERHUB_SERVICE_PREFIX" not in env, "a test's JupyterLab is not on a hub"
    assert Path(env["COURSE_PROGRESS_FILE"]).parent == tmp_path, "the learner's progress stays"
    assert Path(env["npm_config_cache"]).is_relative_to(tmp_path), "npm logs (jupyter-lsp)"


def test_a_progress_file_chosen_by_the_caller_is_kept(tmp_path: Path) -> None:
    env = lab_environment(tmp_path, {"COURSE_PROGRESS_FILE": ":memory:"})
    assert env["COURSE_PROGRESS_FILE"] == ":memory:"


def test_jupyterlab_listens_on_loopback_with_a_token_and_no_saved_workspace(
    tmp_path: Path,
) -> None:
    command = lab_command(port=8765, token="t0k", root=tmp_path / "root", home=tmp_path)
    assert Path(command[0]).name.startswith("jupyter")
    assert command[1] == "lab"
    for option in [
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        "--ServerApp.port=8765",
        "--ServerApp.port_retries=0",
        "--IdentityProvider.token=t0k",
        f"--ServerApp.root_dir={tmp_path / 'root'}",
        f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}",
    ]:
        assert option in command
    is_root = hasattr(os, "geteuid") and os.geteuid() == 0
    assert ("--allow-root" in command) == is_root


# --- the judge of a Run All in JupyterLab ------------------------------------------------------


def _cell(source: str, *outputs: dict, count: int | None = 1, tags: tuple[str, ...] = ()):
    cell = new_code_cell(source, execution_count=count, outputs=[new_output(**o) for o in outputs])
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def _stream(text: str) -> dict:
    return {"output_type": "stream", "name": "stdout", "text": text}


def _result(text: str) -> dict:
    return {"output_type": "execute_result", "data": {"text/plain": text}, "execution_count": 1}


def _error(ename: str, lines: list[str]) -> dict:
    return {"output_type": "error", "ename": ename, "evalue": "", "traceback": lines}


REPORT = [
    "✘ Task 1 is not done yet: GET /health should answer 200.",
    "  sent:     GET /health",
    '  got:      404 {"detail":"Not Found"}',
    "  hint:     No route matches this path.",
]


def _nb(*cells: nbformat.NotebookNode) -> nbformat.NotebookNode:
    return new_notebook(cells=list(cells))


def test_the_same_outputs_after_sanitizing_are_the_same() -> None:
    stored = _nb(_cell("print(url)", _stream("http://127.0.0.1:8000/docs\n")))
    fresh = _nb(_cell("print(url)", _stream("http://127.0.0.1:41234/docs\n")))
    assert judge_lesson(stored, fresh) == []


def test_a_docs_link_through_jupyterlabs_proxy_is_the_same_link() -> None:
    stored = _nb(_cell("print(docs_link(port))", _stream("http://127.0.0.1:41000/docs\n")))
    fresh = _nb(
        _cell("print(docs_link(port))", _stream("http://127.0.0.1:8888/proxy/41000/docs\n"))
    )
    assert judge_lesson(stored, fresh) == []


def test_streams_split_differently_are_the_same() -> None:
    stored = _nb(_cell("print(1); print(2)", _stream("1\n2\n")))
    fresh = _nb(_cell("print(1); print(2)", _stream("1\n"), _stream("2\n")))
    assert judge_lesson(stored, fresh) == []


def test_another_output_is_a_problem() -> None:
    stored = _nb(_cell("1 + 1", _result("2")))
    fresh = _nb(_cell("1 + 1", _result("3")))
    [problem] = judge_lesson(stored, fresh)
    assert "code cell 1 ('1 + 1') shows another output" in problem
    assert "'text/plain': ['2']" in problem and "'text/plain': ['3']" in problem


def test_a_missing_output_is_a_problem() -> None:
    stored = _nb(_cell("print(1)", _stream("1\n")))
    fresh = _nb(_cell("print(1)"))
    assert len(judge_lesson(stored, fresh)) == 1


def test_a_cell_that_did_not_run_is_a_problem() -> None:
    stored = _nb(_cell("1", _result("1")), _cell("2", _result("2"), count=2))
    fresh = _nb(_cell("1", _result("1")), _cell("2", count=None))
    problems = judge_lesson(stored, fresh)
    assert "code cell 2 ('2') did not run" in problems


def test_an_error_is_a_problem_unless_the_cell_is_tagged_raises_exception() -> None:
    boom = _error("ZeroDivisionError", ["ZeroDivisionError: division by zero"])
    stored = _nb(_cell("1 / 0", boom))
    assert judge_lesson(stored, _nb(_cell("1 / 0", boom))) == [
        "code cell 1 ('1 / 0') failed:\nZeroDivisionError: division by zero"
    ]
    tagged = _nb(_cell("1 / 0", boom, tags=("raises-exception",)))
    assert judge_lesson(tagged, tagged) == []


def test_an_error_is_compared_by_its_name_and_message_not_its_traceback() -> None:
    before = _error("KeyError", ["Traceback at 0x7f00", "KeyError: 'x'"])
    after = _error("KeyError", ["another traceback", "KeyError: 'x'"])
    stored = _nb(_cell("d['x']", before, tags=("raises-exception",)))
    fresh = _nb(_cell("d['x']", after, tags=("raises-exception",)))
    assert judge_lesson(stored, fresh) == []


def test_a_cell_tagged_nbval_ignore_output_is_not_compared() -> None:
    stored = _nb(_cell("timeit()", _stream("1.2 ms\n"), tags=("nbval-ignore-output",)))
    fresh = _nb(_cell("timeit()", _stream("slower\n"), tags=("nbval-ignore-output",)))
    assert judge_lesson(stored, fresh) == []


def test_a_notebook_whose_code_changed_is_not_compared_cell_by_cell() -> None:
    assert judge_lesson(_nb(_cell("1")), _nb(_cell("2"))) == [
        "the saved notebook's code is not the stored notebook's"
    ]


def test_images_are_not_compared_as_nbval_does_not() -> None:
    picture = {"output_type": "display_data", "data": {"image/png": "iVBOR", "text/plain": "P"}}
    other = {"output_type": "display_data", "data": {"image/png": "AAAA", "text/plain": "P"}}
    assert comparable([new_output(**picture)]) == comparable([new_output(**other)])


def test_an_exercise_whose_checks_report_is_right() -> None:
    fresh = _nb(
        _cell("app = FastAPI()"),
        _cell("check.health(app)", _error("CheckFailed", REPORT), tags=("check",)),
    )
    assert judge_exercise(fresh) == []


def test_an_exercise_check_that_shows_a_traceback_is_a_problem() -> None:
    traceback = [
        "\x1b[0;31mTraceback (most recent call last)\x1b[0m",
        '  File "course/checks/__init__.py", line 3, in check',
        *REPORT,
    ]
    fresh = _nb(_cell("check.health(app)", _error("CheckFailed", traceback), tags=("check",)))
    [problem] = judge_exercise(fresh)
    assert "not a short report" in problem


def test_an_exercise_check_that_crashes_is_a_problem() -> None:
    crash = _error("NameError", ["NameError: name 'app' is not defined"])
    fresh = _nb(_cell("check.health(app)", crash, tags=("check",)))
    assert judge_exercise(fresh) == [
        "code cell 1 ('check.health(app)') should show its check's report, shows:\n"
        "NameError: name 'app' is not defined"
    ]


def test_an_exercise_check_that_passes_on_the_stub_is_a_problem() -> None:
    fresh = _nb(_cell("check.health(app)", _stream("✔ Task 1 passed\n"), tags=("check",)))
    assert judge_exercise(fresh) == [
        "code cell 1 ('check.health(app)') should show its check's report, shows:\nno report"
    ]


def test_an_exercise_cell_that_fails_outside_a_check_is_a_problem() -> None:
    crash = _error("SyntaxError", ["SyntaxError: invalid syntax"])
    fresh = _nb(_cell("def f(:", crash))
    assert judge_exercise(fresh) == ["code cell 1 ('def f(:') failed:\nSyntaxError: invalid syntax"]


def test_an_exercise_cell_left_unrun_by_run_all_is_a_problem() -> None:
    fresh = _nb(_cell("1"), _cell("2", count=None))
    assert judge_exercise(fresh) == ["code cell 2 ('2') did not run"]


@pytest.mark.parametrize(
    ("report", "short"),
    [
        ("\n".join(REPORT), True),
        ("✘ Task 4 is not done yet: expected your app.\n  hint:     Pass the app.", True),
        ("✘ Task 4 is not done yet: expected your app.", False),  # no hint
        ("\n".join([*REPORT, *["  more"] * 5]), False),  # a wall of text
        ("\n".join(["AssertionError", *REPORT[1:]]), False),  # not a check's verdict
    ],
)
def test_a_short_report(report: str, short: bool) -> None:
    assert is_short_report(report) is short
