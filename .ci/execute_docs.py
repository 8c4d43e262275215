"""Run every notebook under `nbs/` (engine, chapters, exercises, then the index) and save its outputs in place, so `nbdev-docs` renders the figures.

For the docs build only, on a throwaway checkout (the docs workflow): the notebooks in git stay without outputs, and a
learner's copy is never touched. Like d2l, the pages show what a real run on the build machine produced, at `quick`
size, with data from the workbook's own data hub."""
import os, sys, time
from pathlib import Path
from execnb.shell import CaptureShell

def execute(nb:Path):
    "Run `nb` in its own folder, as nbdev-test does, and write it back with its outputs."
    here = os.getcwd(); os.chdir(nb.parent)
    try: CaptureShell(path=nb.parent, mpl_format='png').execute(nb, nb, exc_stop=True, cell_timeout=1800)
    finally: os.chdir(here)

if __name__ == '__main__':
    os.environ.setdefault('MPLBACKEND', 'module://matplotlib_inline.backend_inline')
    nbs = [Path(p) for p in sys.argv[1:]] or [p for d in ('engine', 'chapters', 'exercises') for p in sorted(Path('nbs', d).glob('*.ipynb'))] + [Path('nbs/index.ipynb')]
    for nb in nbs:
        t0 = time.time(); execute(nb.resolve())
        print(f'{nb}: {time.time() - t0:.0f} s', flush=True)
