"""The progress bars of the course's helpers: tqdm's, plus a last line that stays true.

In a terminal this is plain ``tqdm`` (on standard error). In a notebook, ``tqdm.auto`` draws
an ipywidgets bar whose saved copy (the ``text/plain`` of the output) is its *first* state,
"0%": what the book, the slides and a notebook opened without its widgets then show. Here
the bar is displayed with a display id, and when it closes the output is replaced by its
final line ("Indexing DICOM headers: 100%|...| 1004/1004 [00:01<00:00]"), so every copy
of the notebook says how the work ended.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable


def progress_bar(iterable: Iterable | None = None, *, show: bool = True, **options):
    """A tqdm bar (``desc``, ``unit``, ``total``... as tqdm's) that leaves its final line.

    Examples
    --------
    >>> from bootcamp_utils._progress import progress_bar
    >>> sum(progress_bar(range(3), desc="Adding", show=False))
    3
    """
    from tqdm.auto import tqdm
    from tqdm.notebook import tqdm as notebook_tqdm

    options.setdefault("leave", False)
    if not show or not issubclass(tqdm, notebook_tqdm):
        return tqdm(iterable, disable=not show, **options)
    return _notebook_bar_class()(iterable, **options)


@functools.cache
def _notebook_bar_class():
    """Built on first use: tqdm.notebook imports ipywidgets."""
    from IPython.display import display
    from tqdm.notebook import tqdm as notebook_tqdm

    class NotebookBar(notebook_tqdm):
        """Shown under a display id; on close, the output becomes the bar's last line."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, display=False, **kwargs)
            self._handle = display(self.container, display_id=True)

        def close(self):
            if self.disable:
                return
            last = self.format_meter(**self.format_dict)
            super().close()
            if self._handle is not None:
                self._handle.update({"text/plain": last}, raw=True)
                self._handle = None

    return NotebookBar
