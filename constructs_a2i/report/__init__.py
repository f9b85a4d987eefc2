"""``a2i report``'s figures and page: what the human reviews say about the model.

* :mod:`~constructs_a2i.report.history`: rows (``a2i results``' format) into loops and answers,
  read defensively;
* :mod:`~constructs_a2i.report.volume`, :mod:`~constructs_a2i.report.agreement`,
  :mod:`~constructs_a2i.report.reviewers`: the figures, pure functions of a history;
* :mod:`~constructs_a2i.report.figures`: all of them as one JSON object;
* :mod:`~constructs_a2i.report.plots` and :mod:`~constructs_a2i.report.render`: the Plotly
  figures and the self-contained HTML page.

Nothing here imports the ``a2i`` command, boto3 or aws_cdk (import-linter checks it); plotly
and statsmodels (the ``report`` extra) are imported only when a page is rendered or a kappa
computed.
"""

from __future__ import annotations

__all__: list[str] = []
