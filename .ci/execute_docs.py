"""Run every notebook under `nbs/` (engine, chapters, exercises, then the index) and save its outputs in place, so `nbdev-docs` renders the figures.

For the docs build only, on a throwaway checkout (the docs workflow): the notebooks in git stay without outputs, and a
learner's copy is never touched. Like d2l, the pages show what a real run on the build machine produced, at `quick`
size, with data from the workbook's own data hub.

What a reader sees is what JupyterLab shows at the end of a cell: fastprogress draws its HTML bars and epoch tables
(as in a live notebook, not the console's carriage-return lines), and since a saved notebook cannot update a display in
place, each run of progress displays is kept at its final state, the epoch table. Text that rewrites its line with a
carriage return keeps what a terminal would show last."""
import json, os, re, sys, time
from pathlib import Path

def notebook_progress():
    "Make fastprogress (and fastai, which imports its bars by name) draw HTML bars: call before fastai is imported."
    import fastprogress.fastprogress as fp
    fp.IN_NOTEBOOK = True
    fp.progress_bar, fp.master_bar = fp.NBProgressBar, fp.NBMasterBar

def _kind(o) -> str|None:
    "'style', 'bar', 'table' or 'clear' for fastprogress's displays (its CSS, a bar, a finished epoch table, an empty display that hides a bar)."
    if o.get('output_type') != 'display_data' or 'text/html' not in o.get('data', {}): return None
    h = ''.join(o['data']['text/html'])
    if '<style>' in h and 'progress' in h: return 'style'
    if '<progress' in h: return 'bar'
    if 'class="fastprogress"' in h: return 'table'   # a training's final state: its epoch table, the bars gone
    return 'clear' if h.strip() in ('', '<div></div>') else None

WIDGET = 'application/vnd.jupyter.widget-view+json'
WIDGET_NOTE = {'text/html': ['<p><em>A live widget is here in JupyterLab: run the notebook to use it.</em></p>'],
               'text/plain': ['(a live widget in JupyterLab: run the notebook to use it)']}

def _last_write(text:str) -> str:
    "What a terminal shows of `text`: on every line, the last thing written after a carriage return (terminal codes dropped)."
    text = re.sub(r'\x1b\[[0-9;?]*[A-Za-z]', '', text)
    return '\n'.join(next((p for p in reversed(line.split('\r')) if p.strip()), '') for line in text.split('\n'))

def tidy_outputs(outputs:list) -> list:
    "Keep each run of progress displays at its final state (none, if it ended hidden), collapse carriage returns in printed text, note widgets."
    out = []
    for o in outputs:
        if _kind(o) in ('bar', 'clear', 'table') and out and _kind(out[-1]) in ('bar', 'clear'): out[-1] = o   # a display updated in place
        else: out.append(o)
    out = [o for o in out if _kind(o) != 'clear']
    if not any(_kind(o) in ('bar', 'table') for o in out): out = [o for o in out if _kind(o) != 'style']
    for o in out:
        if WIDGET in o.get('data', {}): o['data'] = dict(WIDGET_NOTE)   # saved without its state, a widget would show nothing
        if o.get('output_type') == 'stream':
            lines = _last_write(''.join(o['text'])).split('\n')
            o['text'] = [l + '\n' for l in lines[:-1]] + ([lines[-1]] if lines[-1] else [])
    return [o for o in out if o.get('output_type') != 'stream' or ''.join(o['text']).strip()]

def tidy(nb:Path):
    "Rewrite `nb`'s saved outputs as `tidy_outputs` leaves them."
    d = json.loads(nb.read_text())
    for c in d['cells']:
        if c['cell_type'] == 'code': c['outputs'] = tidy_outputs(c.get('outputs', []))
    nb.write_text(json.dumps(d, indent=1, ensure_ascii=False) + '\n')

def execute(nb:Path):
    "Run `nb` in its own folder, as nbdev-test does, and write it back with its tidied outputs."
    from execnb.shell import CaptureShell
    here = os.getcwd(); os.chdir(nb.parent)
    try: CaptureShell(path=nb.parent, mpl_format='png').execute(nb, nb, exc_stop=True, cell_timeout=1800)
    finally: os.chdir(here)
    tidy(nb)

if __name__ == '__main__':
    os.environ.setdefault('MPLBACKEND', 'module://matplotlib_inline.backend_inline')
    notebook_progress()
    nbs = [Path(p) for p in sys.argv[1:]] or [p for d in ('engine', 'chapters', 'exercises') for p in sorted(Path('nbs', d).glob('*.ipynb'))] + [Path('nbs/index.ipynb')]
    for nb in nbs:
        t0 = time.time(); execute(nb.resolve())
        print(f'{nb}: {time.time() - t0:.0f} s', flush=True)
