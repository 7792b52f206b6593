"""Sphinx configuration: the user guides (MyST markdown) and the API reference (autodoc).

Build: ``python3 -m sphinx -W -b html docs docs/_build/html`` (``pip install '.[docs]'``).
Nothing is fetched while building; formulas are typeset by MathJax in the browser.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path

from docutils import nodes
from sphinx import addnodes

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))

import gstheory  # noqa: E402  (after the path is set)

project = "gstheory"
author = "the gstheory authors"
copyright = "2026, the gstheory authors"
release = version = gstheory.__version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build"]

myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3

autosummary_generate = True
autosummary_imported_members = False
autodoc_default_options = {"members": True, "show-inheritance": True,
                           # re-exports are documented where they are defined, once
                           "ignore-module-all": True}
autodoc_member_order = "bysource"
autodoc_typehints = "description"
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_custom_sections = [("Arguments", "params_style"), ("Paper", "notes_style")]

#: optional packages that modules of the API pages import at the top (gstheory.ntk and
#: gstheory.linearised: torch); mocked when absent, so that the reference builds on a plain
#: install plus ``[docs]``. Only these: a mocked package that a library merely probes for
#: (SymPy probes python-flint, for instance) would break that library's import.
_OPTIONAL = ["torch"]
autodoc_mock_imports = [m for m in _OPTIONAL if importlib.util.find_spec(m) is None]

html_theme = "alabaster"
html_title = f"gstheory {release}"
html_static_path: list[str] = []

#: the user guides, in reading order; those present are put in the index's table of
#: contents (other helpers' guides may not exist yet), followed by any other top-level page
GUIDES = ["install", "numeric", "symbolic", "empirical", "experiments", "claims",
          "multiclass"]
TOC_PLACEHOLDER = "<!-- guides -->"

#: the derivation documents (``gstheory derive`` writes them to proofs/generated/) are
#: copied here at each build, so that they are pages of the documentation
DERIVATIONS = "derivations"
GENERATED = ROOT / "proofs" / "generated"


def guides() -> list[str]:
    """The top-level pages of ``docs/`` to list in the index, known guides first."""
    present = {p.stem for p in DOCS.glob("*.md")} - {"index"}
    return [g for g in GUIDES if g in present] + sorted(present - set(GUIDES))


def _copy_derivations(app) -> None:
    out = DOCS / DERIVATIONS
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    for f in sorted(GENERATED.glob("*.md")):
        shutil.copyfile(f, out / f.name)


def _fill_toc(app, docname: str, source: list[str]) -> None:
    if docname == "index":
        pages = guides() + ([f"{DERIVATIONS}/README"] if (DOCS / DERIVATIONS).is_dir() else [])
        source[0] = source[0].replace(TOC_PLACEHOLDER, "\n".join(pages))
    elif docname == f"{DERIVATIONS}/README":
        others = sorted(p.stem for p in (DOCS / DERIVATIONS).glob("*.md") if p.stem != "README")
        source[0] += "\n\n```{toctree}\n:hidden:\n\n" + "\n".join(others) + "\n```\n"


def _repository_links(app, doctree) -> None:
    """A guide's link to a repository file outside ``docs/``: to the derivation pages
    for ``proofs/generated/*.md``, else to the file in the checkout (relative link)."""
    for node in list(doctree.findall(addnodes.pending_xref)):
        if node.get("refdomain") != "doc" or node.get("reftype") != "myst":
            continue
        target = Path(node["reftarget"])
        if not target.is_absolute() or DOCS in target.parents:
            continue
        if target.parent == GENERATED:
            node["reftarget"] = f"{DERIVATIONS}/{target.name}"
            continue
        here = Path(app.outdir) / Path(node["refdoc"]).parent
        path = next((target.with_suffix(s) for s in (".md", "") if target.with_suffix(s).exists()),
                    target)
        ref = nodes.reference("", "", internal=False,
                              refuri=os.path.relpath(path, here).replace(os.sep, "/"))
        ref += node.children
        node.replace_self(ref)


def setup(app):
    app.connect("builder-inited", _copy_derivations)
    app.connect("source-read", _fill_toc)
    app.connect("doctree-read", _repository_links)
