"""The one-page progress record a student hands in (``Progress.write_record``).

One self-contained HTML file: no script, no web font, no image, no address outside the file, so
it opens offline and prints on one A4 or Letter page (the exercise ids of a long lesson wrap).
"""

from __future__ import annotations

import html
from datetime import datetime, timezone

_STYLE = """
body { font: 11pt/1.35 system-ui, sans-serif; margin: 2em auto; max-width: 46em; color: #111; }
h1 { font-size: 16pt; margin: 0 0 .3em; }
table { border-collapse: collapse; width: 100%; margin: .8em 0; }
th, td { border: 1px solid #999; padding: .25em .45em; text-align: left; vertical-align: top; }
th { background: #eee; }
.note { border-left: 4px solid #666; padding: .3em .7em; background: #f6f6f6; }
code { font-size: 9.5pt; }
td span { white-space: nowrap; }
@page { size: auto; margin: 15mm; }
@media print { body { margin: 0; max-width: none; } }
"""


def _date(stamp: str) -> str:
    return html.escape(stamp[:10])


def record_html(progress, name: str, version: str) -> str:
    """The record's HTML for ``progress`` (a :class:`~bootcamp_utils.progress.Progress`).

    Parameters
    ----------
    progress : Progress
        What :func:`~bootcamp_utils.progress.progress` returned.
    name : str
        The student's name (escaped: it is shown, never interpreted).
    version : str
        The course version, ``bootcamp_utils.__version__``.

    Returns
    -------
    str
        A complete HTML document.

    Examples
    --------
    >>> from bootcamp_utils.progress import LessonProgress, Progress
    >>> from bootcamp_utils._record import record_html
    >>> lesson = LessonProgress("01", {"01-vr": "2026-12-07T10:00:00+00:00"}, ("01-x",))
    >>> mine = Progress((lesson,), None)
    >>> page = record_html(mine, "<Ann>", "1.0.0")
    >>> "&lt;Ann&gt;" in page and "1/2" in page and "2026-12-07" in page
    True
    """
    today = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    rows = []
    for lesson in progress.lessons:
        passed = ", ".join(
            f"<span><code>{html.escape(i)}</code> ({_date(when)})</span>"
            for i, when in lesson.passed.items()
        )
        left = ", ".join(f"<span><code>{html.escape(i)}</code></span>" for i in lesson.left)
        rows.append(
            f"<tr><td>{html.escape(lesson.lesson)}</td><td>{len(lesson.passed)}/{lesson.total}"
            f"</td><td>{passed or '&mdash;'}</td><td>{left or '&mdash;'}</td></tr>"
        )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>DICOM in Python: progress record of {html.escape(name)}</title>
<style>{_STYLE}</style></head>
<body>
<h1>DICOM in Python: progress record</h1>
<p><b>Student:</b> {html.escape(name)}<br><b>Date:</b> {today}<br>
<b>Course version:</b> bootcamp_utils {html.escape(version)}<br>
<b>Exercises passed:</b> {progress.passed} of {progress.total}</p>
<table><thead><tr><th>Lesson</th><th>Passed</th><th>Passed exercises (first passed, UTC)</th>
<th>Not yet</th></tr></thead>
<tbody>{"".join(rows)}</tbody></table>
<p class="note">This is a <b>self-report</b>. The course's checks ran on the student's own
computer (or Colab runtime) and judged each answer there; nothing was sent anywhere, and the
answers themselves are not recorded. A teacher who needs proof should look at the work.</p>
</body></html>
"""
