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
