"Write README.md from nbs/index.ipynb, offline (nbdev-readme needs Quarto, which no registry ships), with the chapter results table of bench/RESULTS.md."
import json, sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent
nb = json.loads((root/'nbs'/'index.ipynb').read_text())
parts = ['<!-- Generated from nbs/index.ipynb by `make readme`: edit the notebook, not this file. -->']
for c in nb['cells']:
    src = ''.join(c['source']).strip()
    if not src: continue
    if c['cell_type'] == 'markdown': parts.append(src)
    elif not any(l.replace(' ', '') in ('#|hide', '#|echo:false') for l in src.splitlines()):   # hidden, or only for the site
        parts.append('```python\n' + '\n'.join(l for l in src.splitlines() if not l.startswith('#|')) + '\n```')
out = '\n\n'.join(parts) + '\n'

sys.path.insert(0, str(root))
from mylib.engine.core import chapter_results_table   # the index's own cell shows the same table on the site
out = out.replace('<!-- chapter results -->', chapter_results_table(root))
import re
out = re.sub(r'\]\(((?:chapters|exercises|engine)/)', r'](nbs/\1', out)   # the index links as the docs site sees them (from nbs/), the README from the root
dest = root/'README.md'
if not dest.exists() or dest.read_text() != out: dest.write_text(out); print('README.md written')
else: print('README.md up to date')
