"Write README.md from nbs/index.ipynb, offline (nbdev-readme needs Quarto, which no registry ships)."
import json, sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent
nb = json.loads((root/'nbs'/'index.ipynb').read_text())
parts = ['<!-- Generated from nbs/index.ipynb by `make readme`: edit the notebook, not this file. -->']
for c in nb['cells']:
    src = ''.join(c['source']).strip()
    if not src: continue
    if c['cell_type'] == 'markdown': parts.append(src)
    elif not any(l.strip() in ('#| hide', '#|hide') for l in src.splitlines()):
        parts.append('```python\n' + '\n'.join(l for l in src.splitlines() if not l.startswith('#|')) + '\n```')
out = '\n\n'.join(parts) + '\n'
dest = root/'README.md'
if not dest.exists() or dest.read_text() != out: dest.write_text(out); print('README.md written')
else: print('README.md up to date')
