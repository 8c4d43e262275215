"Shared fixtures: run Python in a fresh process, with the workbook's environment."
import os, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent

def run_py(code:str, env:dict|None=None, timeout:int=300, cwd=None) -> subprocess.CompletedProcess:
    "Run `code` in a fresh Python process (this interpreter), with `env` added to the environment."
    e = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, env=e, timeout=timeout, cwd=cwd or ROOT)

def run_mod(*args, env:dict|None=None, timeout:int=300) -> subprocess.CompletedProcess:
    "Run `python -m *args` in a fresh process."
    e = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, '-m', *args], capture_output=True, text=True, env=e, timeout=timeout, cwd=ROOT)

@pytest.fixture
def py(): return run_py

@pytest.fixture
def mod(): return run_mod

# --- A real JupyterLab and a real browser, for the widget tests ---------------------------------------------------

import json, shutil, socket, time, urllib.request

def free_port() -> int:
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

def chromium_path(pw) -> str|None:
    "The system Chromium (`make sysdeps` installs it with apt), `MYLIB_CHROMIUM`, or None for Playwright's own (`playwright install chromium`)."
    p = os.environ.get('MYLIB_CHROMIUM') or shutil.which('chromium') or shutil.which('chromium-browser')
    if p: return p
    if Path(pw.chromium.executable_path).exists(): return None
    raise RuntimeError("No Chromium found: run `make sysdeps` (Debian/Ubuntu), or `.venv/bin/python -m playwright install chromium`, "
                       "or set MYLIB_CHROMIUM=/path/to/chromium.")

def wait_http(url:str, proc, timeout:float=90):
    "Wait until `url` answers (or `proc` dies)."
    t0 = time.time()
    while time.time() - t0 < timeout:
        if proc.poll() is not None: raise RuntimeError(f"server exited with {proc.returncode}")
        try: urllib.request.urlopen(url, timeout=2); return
        except Exception: time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer in {timeout}s")

def write_notebook(path:Path, *cells:str):
    "Write a notebook of code `cells` to `path`."
    nb = dict(nbformat=4, nbformat_minor=5, metadata=dict(kernelspec=dict(name='python3', display_name='Python 3', language='python')),
              cells=[dict(cell_type='code', id=f'c{i}', metadata={}, source=c, outputs=[], execution_count=None) for i, c in enumerate(cells)])
    path.write_text(json.dumps(nb))

@pytest.fixture(scope='session')
def lab(tmp_path_factory):
    "A real JupyterLab server on a temporary notebook folder: yields `(base_url, token, folder)`."
    folder, port, token = tmp_path_factory.mktemp('lab'), free_port(), 'mylib-test'
    bin_dir = Path(sys.executable).parent
    log = open(folder/'server.log', 'w')
    proc = subprocess.Popen([str(bin_dir/'jupyter'), 'lab', '--no-browser', f'--port={port}', '--ip=127.0.0.1',
                             f'--IdentityProvider.token={token}', f'--ServerApp.root_dir={folder}', '--allow-root',
                             '--LabApp.expose_app_in_browser=True', '--ServerApp.disable_check_xsrf=True'],
                            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, 'MPLBACKEND': 'Agg'})
    base = f'http://127.0.0.1:{port}'
    try:
        wait_http(f'{base}/api/status?token={token}', proc)
        yield base, token, folder
    finally:
        proc.terminate()
        try: proc.wait(20)
        except subprocess.TimeoutExpired: proc.kill()

@pytest.fixture(scope='session')
def browser():
    "A real headless Chromium driven by Playwright."
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(p), args=['--no-sandbox'])
        yield b
        b.close()

def open_lab_notebook(browser, lab, name:str, timeout:float=120_000):
    "Open notebook `name` in JupyterLab, run all its cells, and return the page once the kernel is idle again."
    base, token, _ = lab
    page = browser.new_page(viewport=dict(width=1400, height=1000))
    page.set_default_timeout(timeout)
    # a fresh workspace per page, so JupyterLab does not restore the tabs an earlier test left open
    page.goto(f'{base}/lab/workspaces/t{free_port()}/tree/{name}?token={token}&reset')
    page.wait_for_function("n => window.jupyterapp && window.jupyterapp.shell.currentWidget "
                           "&& window.jupyterapp.shell.currentWidget.context "
                           "&& window.jupyterapp.shell.currentWidget.context.path === n "
                           "&& window.jupyterapp.shell.currentWidget.sessionContext "
                           "&& window.jupyterapp.shell.currentWidget.sessionContext.session "
                           "&& window.jupyterapp.shell.currentWidget.sessionContext.session.kernel "
                           "&& window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === 'idle'", arg=name)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    return page

@pytest.fixture(autouse=True)
def _gradients_left_on():
    "Fail a test that leaves torch's gradients switched off: every test after it would fail for no reason of its own."
    yield
    import torch
    if not torch.is_grad_enabled():
        torch.set_grad_enabled(True)
        pytest.fail("this test left torch's gradients switched off (torch.set_grad_enabled(False) called outside a with block?)")
