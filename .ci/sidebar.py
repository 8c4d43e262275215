"""Write nbs/sidebar.yml: the docs sidebar in the sections the folders make (start here, chapters, exercises, engine).

nbdev's own sidebar (custom_sidebar = false) would list the folders alphabetically, under their folder names; this keeps
the course's order and names. Run by `make check-sync` (so a new notebook appears without anyone editing the file).
"""
from pathlib import Path

SECTIONS = [('Chapters', 'chapters'), ('Exercises', 'exercises'), ('Engine', 'engine')]   # in the order a learner meets them

def sidebar(nbs:Path) -> str:
    "The sidebar YAML for the notebooks under `nbs`."
    out = ['website:', '  sidebar:', '    contents:', '      - section: Start here', '        contents:', '          - index.ipynb', '          - concepts.ipynb']
    for title, folder in SECTIONS:
        files = sorted(p.name for p in (nbs/folder).glob('*.ipynb') if not p.name.startswith(('_', '.')))
        out += [f'      - section: {title}']
        if 'index.ipynb' in files: out += [f'        href: {folder}/index.ipynb']; files.remove('index.ipynb')
        out += ['        contents:'] + [f'          - {folder}/{f}' for f in files]
    return '\n'.join(out) + '\n'

if __name__ == '__main__':
    nbs = Path(__file__).resolve().parent.parent/'nbs'
    text = sidebar(nbs)
    if not (nbs/'sidebar.yml').exists() or (nbs/'sidebar.yml').read_text() != text: (nbs/'sidebar.yml').write_text(text)
