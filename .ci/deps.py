"""Write what the install depends on (pyproject.toml's dependencies, extras, scripts and packages) to a stamp file, only if it changed.

`make` reinstalls the package when the stamp is newer than the install; nbdev-export rewrites pyproject.toml on every run,
so depending on the whole file would reinstall after every export. Standard library only: it runs before the venv exists.
"""
import json, sys
try: import tomllib
except ImportError: sys.exit("mylib needs Python 3.11 or newer (the pinned torch, transformers, numpy and pandas do)")
from pathlib import Path

def deps_text(pyproject) -> str:
    "The parts of `pyproject` that change what `pip install` does, as stable text."
    cfg = tomllib.loads(Path(pyproject).read_text()); proj = cfg['project']
    keep = {k: proj.get(k) for k in ('name', 'requires-python', 'dependencies', 'optional-dependencies', 'scripts', 'entry-points')}
    keep['setuptools'] = cfg.get('tool', {}).get('setuptools')   # which packages are installed
    return json.dumps(keep, indent=1, sort_keys=True) + '\n'

if __name__ == '__main__':
    src, stamp = sys.argv[1:3]
    new = deps_text(src)
    if not Path(stamp).exists() or Path(stamp).read_text() != new: Path(stamp).write_text(new)
