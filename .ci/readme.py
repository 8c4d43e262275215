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
    elif not any(l.strip() in ('#| hide', '#|hide') for l in src.splitlines()):
        parts.append('```python\n' + '\n'.join(l for l in src.splitlines() if not l.startswith('#|')) + '\n```')
out = '\n\n'.join(parts) + '\n'

def chapter_results() -> str:
    "The chapter results table of bench/RESULTS.md (made by `make bench` from the notebooks' own runs), without its heading."
    res = root/'bench'/'RESULTS.md'
    text = res.read_text() if res.exists() else ''
    if '## Chapter results' not in text: return '_No results yet: run `make test`, then `make bench`._'
    section = text.split('## Chapter results', 1)[1].split('\n## ', 1)[0]
    return section.split('\n', 1)[1].strip()

out = out.replace('<!-- chapter results -->', chapter_results())
import re
out = re.sub(r'\]\(((?:chapters|exercises|engine)/)', r'](nbs/\1', out)   # the index links as the docs site sees them (from nbs/), the README from the root
dest = root/'README.md'
if not dest.exists() or dest.read_text() != out: dest.write_text(out); print('README.md written')
else: print('README.md up to date')
