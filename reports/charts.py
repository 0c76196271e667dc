"""Chart specifications for ``static/js/reports-charts.js``.

A view builds a plain dict (type, labels, datasets, a few options) and the template
passes it through ``json_script``; numbers never pass through the template's number
formatting (the Indonesian locale prints ``1,5``). Every chart is drawn next to a table
with the same figures.
"""


def chart(
    kind, labels, datasets, *, stacked=False, y_max=None, y_min=0, index_axis="x", colors=None
):
    return {
        "colors": colors,
        "type": kind,
        "labels": [str(label) for label in labels],
        "datasets": [
            {"label": str(d.get("label", "")), "data": [_number(v) for v in d["data"]]}
            for d in datasets
        ],
        "stacked": stacked,
        "yMax": y_max,
        "yMin": y_min,
        "indexAxis": index_axis,
    }


def _number(value):
    if value is None:
        return None
    return float(value) if not isinstance(value, int) else value
