"""JupyterLab for the browser tests and the README's screenshots, and the link to a live /docs.

`running_lab()` starts a real JupyterLab on a copy of the course, with every Jupyter and IPython
directory in a temporary folder: saving a notebook never touches the repository, and nothing is
written to `$HOME`.

`docs_link(port)` is for lessons: where the learner's browser finds the docs of a server the
kernel started on 127.0.0.1:`port`. Inside JupyterLab that is through jupyter-server-proxy
(`/proxy/<port>/docs`), which also works on Binder, where the learner's browser cannot reach the
kernel's machine directly.
"""

import json
import os
import secrets
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx2

from course.server import free_port, poll

ROOT = Path(__file__).resolve().parent.parent
# What JupyterLab serves: the notebooks, and what they might read relative to their folder.
# Never .git or .venv: the kernel imports `course` and `taskboard` from the installed project.
COPIED = ("notebooks", "solutions", "exercises", "pyproject.toml")
# The learner's JupyterLab asks before it fetches news or checks for updates; the test's server
# never fetches either, whatever the answer.
SERVER_CONFIG = {
    "LabApp": {
        "news_url": None,
        "check_for_updates_class": "jupyterlab.handlers.announcements.NeverCheckForUpdate",
    }
}


@dataclass(frozen=True)
class Lab:
    """A running JupyterLab: its address, its token, and the folder it serves."""

    url: str
    token: str
    root: Path
    log: Path

    @property
    def headers(self) -> dict[str, str]:
        """What a client outside the browser sends to be let in."""
        return {"Authorization": f"token {self.token}"}

    def tree(self, path: str) -> str:
        """The page that opens `path` (relative to the root) alone, as a learner opens it.

        `?reset` starts from an empty workspace: without it JupyterLab reopens the tabs it had.
        """
        return f"{self.url}/lab/tree/{quote(path)}?reset&token={self.token}"

    def stop_kernels(self) -> None:
        """Shut down every kernel: each notebook a page opened started one, and keeps it."""
        sessions = httpx2.get(f"{self.url}/api/sessions", headers=self.headers, timeout=10)
        sessions.raise_for_status()
        for session in sessions.json():
            httpx2.delete(
                f"{self.url}/api/sessions/{session['id']}", headers=self.headers, timeout=30
            )

    def log_tail(self, lines: int = 40) -> str:
        """The end of the server's log, for a failure message."""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def lab_environment(home: Path, base: Mapping[str, str] = os.environ) -> dict[str, str]:
    """`base` with every Jupyter and IPython directory, and the cache, under `home`."""
    folders = {
        "JUPYTER_CONFIG_DIR": "config",
        "JUPYTER_DATA_DIR": "data",
        "JUPYTER_RUNTIME_DIR": "runtime",
        "IPYTHONDIR": "ipython",
        "XDG_CACHE_HOME": "cache",
    }
    env = {key: value for key, value in base.items() if not key.startswith("JUPYTERHUB_")}
    for variable, name in folders.items():
        (home / name).mkdir(parents=True, exist_ok=True)
        env[variable] = str(home / name)
    # jupyter-lsp looks for language servers with `npm`, whose log would go to ~/.npm.
    env["npm_config_cache"] = str(home / "cache" / "npm")
    # The checks' verdicts (course/progress.py) go to a file of this JupyterLab's, not to the
    # learner's own, unless the caller chose where (the tests keep them in memory).
    env.setdefault("COURSE_PROGRESS_FILE", str(home / "progress.json"))
    return env


def _copy_course(source: Path, root: Path) -> None:
    root.mkdir(parents=True)
    skip = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__")
    for name in COPIED:
        if (source / name).is_dir():
            shutil.copytree(source / name, root / name, ignore=skip)
        elif (source / name).exists():
            shutil.copy2(source / name, root / name)


def lab_command(*, port: int, token: str, root: Path, home: Path) -> list[str]:
    """The `jupyter lab` command line: loopback only, a token, no browser, no saved workspace."""
    scripts = [sysconfig.get_path("scripts"), str(Path(sys.executable).parent)]
    jupyter = shutil.which("jupyter", path=os.pathsep.join(scripts))
    if jupyter is None:
        raise FileNotFoundError(f"no jupyter command in {', '.join(scripts)}: run make install")
    command = [
        jupyter,
        "lab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        f"--LabApp.workspaces_dir={home / 'workspaces'}",
        f"--LabApp.user_settings_dir={home / 'user-settings'}",
    ]
    # JupyterLab refuses to run as root unless told; containers and CI machines often are root.
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    return command


@contextmanager
def running_lab(source: Path = ROOT, *, timeout: float = 90) -> Iterator[Lab]:
    """Start JupyterLab on a temporary copy of the course, yield it, and shut it down."""
    with tempfile.TemporaryDirectory(prefix="course-lab-") as folder:
        home = Path(folder)
        root = home / "root"
        _copy_course(source, root)
        env = lab_environment(home)
        (home / "config" / "jupyter_server_config.json").write_text(json.dumps(SERVER_CONFIG))
        port, token = free_port(), secrets.token_hex(24)
        lab = Lab(f"http://127.0.0.1:{port}", token, root, home / "server.log")
        command = lab_command(port=port, token=token, root=root, home=home)
        with lab.log.open("wb") as log:
            process = subprocess.Popen(
                command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        try:
            try:
                # /api answers without the token once the server is up
                poll(f"{lab.url}/api", timeout=timeout, process=process)
            except (RuntimeError, TimeoutError) as error:
                raise RuntimeError(f"JupyterLab did not start: {error}\n{lab.log_tail()}") from None
            yield lab
        finally:
            _shut_down(lab, process)


def _shut_down(lab: Lab, process: subprocess.Popen[bytes]) -> None:
    """Ask the server to stop (it shuts its kernels down too); insist if it does not."""
    if process.poll() is None:
        with suppress(httpx2.TransportError):
            httpx2.post(f"{lab.url}/api/shutdown", headers=lab.headers, timeout=10)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def docs_link(port: int, path: str = "/docs", env: Mapping[str, str] = os.environ) -> str:
    """Where the learner's browser opens `path` of a server started on 127.0.0.1:`port`.

    - On JupyterHub or Binder: through the proxy of the learner's own server, under its prefix
      (the browser cannot reach the kernel's 127.0.0.1).
    - In a local JupyterLab (the kernel's parent process is the Jupyter server): through its
      proxy too, so the link is the one that also works on Binder.
    - Anywhere else (a terminal, nbval, VS Code): the server itself.

    JupyterLab makes a printed `http://` address clickable, but not a path such as Binder's
    `/user/<name>/proxy/8000/docs`: show that one as a Markdown link,
    `IPython.display.Markdown(f"[the docs]({docs_link(port)})")`.
    """
    proxied = f"proxy/{port}/{path.lstrip('/')}"
    public_url = env.get("JUPYTERHUB_PUBLIC_URL")
    if public_url:
        return public_url.rstrip("/") + "/" + proxied
    prefix = env.get("JUPYTERHUB_SERVICE_PREFIX")
    if prefix:
        # The hub's pages are on the same host: a path from the root is a link that works.
        return env.get("JUPYTERHUB_HOST", "").rstrip("/") + "/" + prefix.strip("/") + "/" + proxied
    server = jupyter_server_info(env)
    if server is not None:
        return server["url"].rstrip("/") + "/" + proxied
    return f"http://127.0.0.1:{port}/{path.lstrip('/')}"


def jupyter_server_info(env: Mapping[str, str] = os.environ) -> dict | None:
    """The Jupyter server that started this kernel (our parent process), or None.

    A Jupyter server writes `jpserver-<pid>.json` in its runtime directory, which its kernels
    share through the environment; the kernel's parent process is that server.
    """
    from jupyter_core.paths import jupyter_runtime_dir

    runtime = Path(env.get("JUPYTER_RUNTIME_DIR") or jupyter_runtime_dir())
    info_file = runtime / f"jpserver-{os.getppid()}.json"
    try:
        info = json.loads(info_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) and info.get("url") else None
