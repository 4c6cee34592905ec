"""The helpers' progress bars leave their final line in a saved notebook (bootcamp_utils._progress).

Without it, tqdm's notebook bar is saved as its first state: the book and the slides of
lesson 06 showed "Indexing DICOM headers: 0%| | 0/1004" under a finished cell.
"""

import nbclient
import nbformat

from bootcamp_utils._progress import progress_bar

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _run(*sources: str) -> list[list[dict]]:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    nbclient.NotebookClient(nb, kernel_name="python3", allow_errors=True, timeout=60).execute()
    return [c.outputs for c in nb.cells]


def test_a_saved_notebook_shows_how_each_bar_ended():
    done, manual, failed, folder = _run(
        "from bootcamp_utils._progress import progress_bar\n"
        "for i in progress_bar(range(60), desc='Reading', unit='file'):\n    pass",
        "bar = progress_bar(total=5, desc='Manual')\nbar.update(2)\nbar.close()",
        "for i in progress_bar(range(5), desc='Failing'):\n    assert i < 2",
        # a helper that uses it: load_series' bar over a folder of 60 files
        "import bootcamp_utils as bc\nbc.load_series(bc.sample_path('head_ct'), progress=True);",
    )
    texts = [
        [o["data"]["text/plain"] for o in outputs if o["output_type"] == "display_data"]
        for outputs in (done, manual, failed, folder)
    ]
    assert len(texts[0]) == 1 and texts[0][0].startswith("Reading: 100%")
    assert "60/60" in texts[0][0]
    assert texts[1][0].startswith("Manual:  40%") and "2/5" in texts[1][0]
    assert texts[2][0].startswith("Failing:  40%") and failed[-1]["ename"] == "AssertionError"
    assert any(t.startswith("Reading pixel data: 100%") for t in texts[3]), texts[3]
    # no widget view is left behind: nothing a static copy would show as a stale "0%"
    assert not [
        o
        for outputs in (done, manual, failed, folder)
        for o in outputs
        if WIDGET_VIEW in o.get("data", {})
    ]


def test_outside_a_notebook_it_is_tqdm():
    from tqdm import tqdm
    from tqdm.notebook import tqdm as notebook_tqdm

    bar = progress_bar(range(3), desc="Terminal")
    assert isinstance(bar, tqdm) and not isinstance(bar, notebook_tqdm) and not bar.leave
    assert list(bar) == [0, 1, 2]
    assert sum(progress_bar(range(4), show=False)) == 6
