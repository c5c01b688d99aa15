"""report.html from the report.json document: one self-contained file to open in a browser.

``render(document)`` returns the page: the header (tool, run, frameworks, headline counts), filters
by backend, converter path (``reports.converters``), status, family, dtype and device, the status
matrix of entry points x case families and the feature matrix of entry points x features
(``reports.features``), each with the frameworks' entry points and the converter paths
apart, every discrepancy in groups (``reports.groups``: new ones by signature, known ones by
registry entry, what a group shares said once, each check with its native call, reproducer and,
for a value difference, a heatmap of where the error sits), the cross-framework table of cases
whose answers disagree, the capability matrix and the known-issue registry.

Nothing is fetched: the styles and the script are inline, heatmaps are PNG ``data:`` URIs and a
Content-Security-Policy forbids every other source. Every string of the document is HTML-escaped
(framework messages are untrusted); the data the script needs travels as JSON in a
``<script type="application/json">`` element with ``<``, ``>`` and ``&`` written as ``\\u003c``
etc. The same document gives the same bytes (the heatmaps included, for one matplotlib version).
"""

from __future__ import annotations

import base64
import collections
import hashlib
import html
import io
import json
import re
import shlex
from collections.abc import Iterable

import numpy as np

from tconv.conformance.status import STATUSES, Status
from tconv.reports import converters, features, groups

# path: a converter path (source -> converter -> runtime, ``reports.converters``), or OWN for a
# framework's own entry point (a value of its own: "" means every value)
OWN = "(a framework's own entry point)"
FILTERS = ("backend", "path", "status", "family", "dtype", "device")
# Worst first: a cell of the status matrix takes the colour of its worst status. A status this
# module does not know is ranked worst of all (something new happened).
SEVERITY = (Status.CRASH, Status.TIMEOUT, Status.ERROR, Status.MISMATCH, Status.SHAPE,
            Status.ACCEPTED_INVALID, Status.PRECISION, Status.KNOWN, Status.UNSUPPORTED,
            Status.PASS)
MAX_HEATMAPS = 300


def _e(value: object) -> str:
    """Any value of the document as HTML text (None as nothing)."""
    return "" if value is None else html.escape(str(value), quote=True)


def _css_name(status: str) -> str:
    return "st-" + (re.sub(r"[^a-z0-9-]", "_", status.lower()) or "_")


def _statuses(present: Iterable[str]) -> list[str]:
    """The statuses to list: the known ones in ``STATUSES`` order, then any others sorted."""
    present = set(present)
    return [s for s in STATUSES if s in present] + sorted(present - set(STATUSES))


def _rank(status: str) -> int:
    """Severity rank, 0 worst; unknown statuses rank worst."""
    return SEVERITY.index(status) + 1 if status in SEVERITY else 0


def _family(check: dict) -> str:
    return str(check.get("family") or (check.get("case") or {}).get("family") or "")


def _facets(check: dict) -> dict[str, str]:
    """The values a check is filtered by."""
    return {"backend": str(check.get("backend") or ""), "path": converters.path(check) or OWN,
            "status": str(check.get("status") or ""),
            "family": _family(check), "dtype": str(check.get("dtype") or ""),
            "device": str(check.get("device") or "")}


def _json_script(element_id: str, data: object) -> str:
    # Inside <script> only "</script" (and "<!--") can end the element early, so "<" ">" "&" go
    # as JSON escapes, which JSON.parse reads back unchanged:
    # https://html.spec.whatwg.org/multipage/scripting.html#restrictions-for-contents-of-script-elements
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f'<script type="application/json" id="{element_id}">{text}</script>'


def _filter_attrs(values: dict[str, Iterable[str]]) -> str:
    """``data-f-KEY`` attributes: the filter values an element answers to (JSON lists). A
    filter whose key is absent does not hide the element."""
    return "".join(f' data-f-{key}="{_e(json.dumps(sorted(set(v))))}"'
                   for key, v in sorted(values.items()))


# --- heatmaps -------------------------------------------------------------------------------


def heatmap_png(error_map: dict) -> bytes:
    """A small PNG of ``error_map`` (``values`` in bound units, ``rows``/``cols`` the axis
    labels): a one-pixel shift, a checkerboard or a border shows as a pattern. Raises
    ValueError when the values are not a non-empty rectangle of numbers."""
    # matplotlib is imported here, not at the top: only a document with error maps needs it.
    # The object API with the Agg canvas leaves pyplot's global backend alone:
    # https://matplotlib.org/stable/gallery/user_interfaces/canvasagg.html
    from matplotlib import colormaps
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from PIL import Image

    values = error_map.get("values")
    if not values or not isinstance(values, list) or not all(
            isinstance(r, list) and len(r) == len(values[0]) and r for r in values):
        raise ValueError("error_map values are not a non-empty rectangle")
    grid = np.array([[np.nan if v is None else float(v) for v in row] for row in values])
    # The judge writes a non-finite error as float64's largest value (judge.error_map), which
    # would flatten the scale: those cells are drawn grey, as unknown.
    grid[grid >= np.finfo(np.float64).max] = np.nan
    grid = np.ma.masked_invalid(grid)
    top = float(grid.max()) if grid.count() else 0.0
    figure = Figure(figsize=(3.4, 2.5), dpi=90)
    canvas = FigureCanvasAgg(figure)
    # Fixed axes rather than tight_layout, which draws the figure twice: a third of the time.
    axes = figure.add_axes((0.17, 0.19, 0.6, 0.75))
    image = axes.imshow(grid, aspect="auto", interpolation="nearest",
                        cmap=colormaps["viridis"].with_extremes(bad="#bbbbbb"),
                        vmin=0.0, vmax=top if top > 0 else 1.0)
    axes.set_ylabel(str(error_map.get("rows") or ""), fontsize=8)
    axes.set_xlabel(str(error_map.get("cols") or ""), fontsize=8)
    axes.tick_params(labelsize=7)
    bar = figure.colorbar(image, cax=figure.add_axes((0.80, 0.19, 0.04, 0.75)))
    bar.set_label("error / bound", fontsize=8)
    bar.ax.tick_params(labelsize=7)
    canvas.draw()
    # 256 colours without dithering keep the file about half the size; PNG through Pillow
    # carries no timestamp, so the bytes depend on the drawing only.
    rgb = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba()).convert("RGB")
    out = io.BytesIO()
    rgb.quantize(colors=256, dither=Image.Dither.NONE).save(out, format="PNG", optimize=True)
    return out.getvalue()


class _Heatmaps:
    """Heatmaps under a budget, one per check, identical maps drawn once."""

    def __init__(self, limit: int) -> None:
        self.limit, self.drawn, self.left_out, self.unreadable = limit, 0, 0, 0
        self._cache: dict[str, str] = {}

    def img(self, check: dict) -> str:
        error_map = check.get("error_map")
        if not isinstance(error_map, dict):
            return ""
        if self.drawn >= self.limit:
            self.left_out += 1
            return '<p class="note">heatmap left out (limit reached)</p>'
        key = json.dumps(error_map, sort_keys=True)
        if key not in self._cache:
            try:
                png = heatmap_png(error_map)
            except (ValueError, TypeError):
                self.unreadable += 1
                return '<p class="note">error map unreadable</p>'
            self._cache[key] = base64.b64encode(png).decode("ascii")
        self.drawn += 1
        return (f'<img class="heatmap" alt="error map of {_e(check.get("check_id"))}" '
                f'src="data:image/png;base64,{self._cache[key]}">')


# --- sections -------------------------------------------------------------------------------


def _header(document: dict) -> str:
    tool = document.get("tool") or {}
    env = document.get("environment") or {}
    summary = document.get("summary") or {}
    counts = summary.get("statuses") or {}
    command = document.get("command") or []
    command_text = shlex.join(str(c) for c in command) if isinstance(command, list) else command
    frameworks = env.get("frameworks") or {}
    versions = "; ".join(f"{backend} {', '.join(str(v) for v in frameworks[backend])}"
                         for backend in sorted(frameworks))
    headline = "".join(
        f'<span class="badge {_css_name(s)}" data-status="{_e(s)}">{_e(counts[s])} {_e(s)}</span>'
        for s in _statuses(counts))
    sources = "".join(
        f"<li><code>{_e(s.get('path'))}</code>: {_e(s.get('checks'))} checks"
        + (f", {_e(s.get('unreadable_lines'))} unreadable lines"
           if s.get("unreadable_lines") else "") + "</li>"
        for s in document.get("sources") or [])
    return f"""<header id="header">
<h1>{_e(tool.get("name", "tconv"))} {_e(tool.get("version", ""))} conformance report</h1>
<dl>
<dt>generated</dt><dd id="generated-at">{_e(document.get("generated_at"))}</dd>
<dt>command</dt><dd><code id="command">{_e(command_text)}</code></dd>
<dt>frameworks</dt><dd id="frameworks">{_e(versions)}</dd>
<dt>devices</dt><dd id="devices">{_e(", ".join(str(d) for d in env.get("devices") or []))}</dd>
<dt>python</dt><dd>{_e(env.get("python"))} on {_e(env.get("platform"))}</dd>
<dt>checks</dt><dd>{_e(summary.get("checks"))} checks over {_e(summary.get("entry_points"))} entry
points (schema {_e(document.get("schema_version"))})</dd>
</dl>
<p id="headline">{headline}</p>
<ul class="sources">{sources}</ul>
</header>"""


def _filters(checks: list[dict]) -> str:
    parts = []
    for key in FILTERS:
        values = {_facets(c)[key] for c in checks}
        ordered = _statuses(values) if key == "status" else sorted(values)
        options = "".join(f'<option value="{_e(v)}">{_e(v) or "(none)"}</option>'
                          for v in ordered)
        label = "converter path" if key == "path" else key
        parts.append(f'<label>{label} <select id="filter-{key}" data-filter="{key}">'
                     f'<option value="">all</option>{options}</select></label>')
    return (f'<section id="filters"><h2>Filters</h2>{"".join(parts)}'
            '<p id="filtered-summary"></p>'
            '<p class="note">Every section below follows the filters; the feature matrix, '
            'the cross-framework, capability and known-issue tables by backend, family and '
            'dtype where they have them. A converter path: source entry point -> converter '
            '-> runtime.</p></section>')


def _cell(attrs: str, counts: collections.Counter) -> str:
    """A status-matrix cell; the script rebuilds it the same way (``fillCell``)."""
    if not counts:
        return f'<td{attrs} class="cell empty">\u2014</td>'
    worst = min(counts, key=lambda s: (_rank(s), s))
    lines = "".join(f'<span class="n {_css_name(s)}">{counts[s]} {_e(s)}</span>'
                    for s in _statuses(counts))
    return f'<td{attrs} class="cell {_css_name(worst)}">{lines}</td>'


def _matrix(checks: list[dict]) -> str:
    families = sorted({_family(c) for c in checks})
    counts: dict[tuple[str, str], collections.Counter] = collections.defaultdict(
        collections.Counter)
    names: dict[str, str] = {}
    for c in checks:
        adapter = str(c.get("adapter") or "")
        counts[adapter, _family(c)][str(c.get("status") or "")] += 1
        names.setdefault(adapter, str(c.get("entry_point") or ""))
    head = "".join(f'<th scope="col">{_e(f)}</th>' for f in families)
    bodies, kinds = [], converters.kinds(checks)
    for kind, entries in kinds:
        rows = []
        for entry, path in entries:
            cells = "".join(_cell(f' data-adapter="{_e(entry)}" data-family="{_e(f)}"',
                                  counts[entry, f]) for f in families)
            rows.append(f'<tr><th scope="row" title="{_e(names[entry])}">{_e(entry)}'
                        f"{_path_note(path)}</th>{cells}</tr>")
        bodies.append(_kind_body(kind, len(families) + 1, rows, len(kinds) > 1))
    return (f'<section><h2>Status matrix: entry points \u00d7 case families</h2>'
            f'<table id="matrix"><thead><tr><th>entry point</th>{head}</tr></thead>'
            f'{"".join(bodies)}</table></section>')


def _path_note(path: str) -> str:
    return f'<span class="path">{_e(path)}</span>' if path else ""


def _kind_body(kind: str, columns: int, rows: list[str], headed: bool) -> str:
    """A matrix's rows of one kind (``converters.kinds``: frameworks, converter paths), under
    a heading row when the matrix has both kinds."""
    css = re.sub(r"[^a-z]+", "-", kind)
    head = (f'<tr class="kind-head"><th colspan="{columns}" scope="rowgroup">{_e(kind)}</th>'
            "</tr>" if headed else "")
    return f'<tbody class="kind {css}">{head}{"".join(rows)}</tbody>'



def _feature_cell(counts: dict[str, int]) -> str:
    """A feature-matrix cell: its nonzero counts, coloured by the worst category
    (``features.WORST``: new, then known, then pass; unsupported alone is grey)."""
    worst = features.worst(counts)
    if not worst:
        return '<td class="fcell empty">\u2014</td>'
    lines = "".join(f'<span class="n">{counts[c]} {_e(c)}</span>'
                    for c in features.CATEGORIES if counts[c])
    return f'<td class="fcell ft-{worst}">{lines}</td>'


def _features(checks: list[dict]) -> str:
    names = {str(c.get("adapter") or ""): str(c.get("entry_point") or "") for c in checks}
    head = "".join(f'<th scope="col">{_e(f)}</th>' for f in features.FEATURES)
    matrix = {entry["adapter"]: entry for entry in features.matrix(checks)}
    bodies, kinds = [], converters.kinds(checks)
    for kind, entries in kinds:
        rows = []
        for adapter, path in entries:
            entry = matrix[adapter]
            cells = "".join(_feature_cell(entry["features"][f]) for f in features.FEATURES)
            facets = {"backend": entry["backends"], "path": [path or OWN]}
            rows.append(f'<tr class="filterable"{_filter_attrs(facets)}>'
                        f'<th scope="row" title="{_e(names.get(adapter))}">'
                        f'{_e(adapter)}{_path_note(path)}</th>{cells}</tr>')
        bodies.append(_kind_body(kind, len(features.FEATURES) + 1, rows, len(kinds) > 1))
    return ('<section id="features"><h2>Features: entry points \u00d7 what a model may use</h2>'
            '<p class="note">Each cell counts the checks that exercise the feature: pass, known, '
            "unsupported and new (a discrepancy no registry entry expects); coloured by the "
            "worst of new, known and pass, grey when every one was unsupported. A check counts "
            "under every feature it exercises. Follows the backend and converter path "
            "filters.</p>"
            f'<table id="feature-matrix"><thead><tr><th>entry point</th>{head}</tr></thead>'
            f'{"".join(bodies)}</table></section>')


def _raised(check: dict) -> str:
    """The exception a check raised, as text: its type and message."""
    return ": ".join(str(v) for v in (check.get("error_type"), check.get("error_message")) if v)


def _fields(check: dict, raised: bool = True) -> str:
    """What happened, as a definition list of the fields that say it; ``raised``: whether to
    list the exception (not when the group's card shows the one all its checks raised)."""
    items = []
    for label, key in (("expected shape", "expected_shape"), ("actual shape", "actual_shape"),
                       ("max abs error", "max_abs_error"), ("error / bound", "bound_units"),
                       ("worst index", "worst_index"), ("framework version",
                                                        "framework_version"),
                       ("float32 arithmetic", "precision")):
        value = check.get(key)
        if value not in (None, "", []):
            shown = value if isinstance(value, str) else json.dumps(value)
            items.append(f"<dt>{label}</dt><dd>{_e(shown)}</dd>")
    if raised and (check.get("error_type") or check.get("error_message")):
        items.append(f'<dt>raised</dt><dd class="error-message">{_e(_raised(check))}</dd>')
    return f'<dl class="fields">{"".join(items)}</dl>'


def _shared_raise(rows: tuple[dict, ...]) -> bool:
    """Whether every check of a group raised the same exception (shown once on its card)."""
    raised = {(str(r.get("error_type") or ""), str(r.get("error_message") or "")) for r in rows}
    return len(raised) == 1 and raised != {("", "")}


def _check(check: dict, first: dict, shared_raise: bool, heatmaps: _Heatmaps) -> str:
    """One check of a group's card: its own facts (its detail only where it is not the
    card's), the native call and the reproducer in full, and its heatmap."""
    status = str(check.get("status") or "")
    observed = (f' <span class="known">observed: {_e(check.get("observed"))}</span>'
                if status == Status.KNOWN else "")
    detail = check.get("detail")
    own = (f'<p class="detail">{_e(detail)}</p>'
           if detail and detail != first.get("detail") else "")
    reproducer = check.get("reproducer")
    repro = (f'<details><summary>reproducer</summary><pre><code class="reproducer">'
             f"{_e(reproducer)}</code></pre></details>"
             if reproducer else '<p class="note">no reproducer</p>')
    return (f'<li class="check {_css_name(status)}" data-status="{_e(status)}"'
            f'{_filter_attrs({k: [v] for k, v in _facets(check).items()})}>'
            f'<p class="check-head"><code class="check-id">{_e(check.get("check_id"))}</code>'
            f' <span class="badge {_css_name(status)}">{_e(status)}</span>'
            f' {_e(check.get("check"))} \u00b7 {_e(check.get("entry_point"))}{observed}</p>'
            f'<div class="check-body"><div>{own}{_fields(check, not shared_raise)}</div>'
            f"{heatmaps.img(check)}</div>"
            f'<pre><code class="call">{_e(check.get("call"))}</code></pre>{repro}</li>')


def _known_title(first: dict) -> tuple[str, str]:
    """A known group's title (the registry entry's adapter, check, status, cases, versions
    and file) and its evidence."""
    entry = first.get("known_entry") or {}
    facts = " \u00b7 ".join(_e(v) for v in (
        entry.get("check"), f"expects {entry['status']}" if entry.get("status") else "",
        ", ".join(str(p) for p in entry.get("case") or []), entry.get("versions"),
        entry.get("source")) if v)
    return (f'<span class="badge st-known">known</span> '
            f'<code class="adapter">{_e(first.get("adapter"))}</code> {facts}',
            str(entry.get("evidence") or first.get("known_issue") or ""))


def _new_title(first: dict) -> str:
    status = str(first.get("status") or "")
    error = f" \u00b7 {_e(first.get('error_type'))}" if first.get("error_type") else ""
    return (f'<span class="badge {_css_name(status)}">{_e(status)}</span> '
            f'<code class="adapter">{_e(first.get("adapter"))}</code>{error}')


def _card_head(group: groups.Group) -> str:
    """What a group's checks share, said once: the registry entry and its evidence (known),
    or the status, adapter and error type (new); then the first check's detail, and the
    exception when all raised the same."""
    first = group.rows[0]
    evidence = ""
    if group.kind == "known":
        title, text = _known_title(first)
        evidence = f'<p class="evidence">{_e(text)}</p>'
    else:
        title = _new_title(first)
    detail = f'<p class="detail">{_e(first.get("detail"))}</p>' if first.get("detail") else ""
    # A worker's end is often its detail word for word: said once.
    raised = (f'<p class="error-message">raised {_e(_raised(first))}</p>'
              if _shared_raise(group.rows) and _raised(first) not in str(first.get("detail") or "")
              else "")
    return f"<h4>{title}</h4>{evidence}{detail}{raised}"


def _card(group: groups.Group, heatmaps: _Heatmaps) -> str:
    """One group: what its checks share once, the checks collapsed beneath it. The script
    hides the card when the filters hide all of its checks."""
    first, n = group.rows[0], len(group.rows)
    shared_raise = _shared_raise(group.rows)
    checks = "".join(_check(c, first, shared_raise, heatmaps) for c in group.rows)
    return (f'<article class="group {group.kind}">{_card_head(group)}'
            f'<details class="group-checks"><summary><span class="group-count">{n} of {n}'
            f'</span> check(s)</summary><ol class="checks">{checks}</ol></details></article>')


def _discrepancies(checks: list[dict]) -> str:
    # New discrepancies first, then known ones; heatmaps are spent in this order.
    found = groups.discrepancies(checks)
    heatmaps = _Heatmaps(MAX_HEATMAPS)
    parts = []
    for kind, title in (("new", "New discrepancies"), ("known", "Known discrepancies")):
        mine = [g for g in found if g.kind == kind]
        if mine:
            parts.append(f'<h3 id="{kind}-discrepancies">{title}: '
                         f"{sum(len(g.rows) for g in mine)} checks in {len(mine)} group(s)</h3>"
                         + "".join(_card(g, heatmaps) for g in mine))
    notes = []
    if heatmaps.left_out:
        notes.append(f"{heatmaps.left_out} heatmap(s) left out: at most {MAX_HEATMAPS} are "
                     "drawn, new discrepancies first.")
    if heatmaps.unreadable:
        notes.append(f"{heatmaps.unreadable} error map(s) unreadable.")
    note = "".join(f'<p class="note heatmap-note">{_e(n)}</p>' for n in notes)
    total = sum(len(g.rows) for g in found)
    body = ("".join(parts) if found
            else "<p>None: every check passed or was unsupported.</p>")
    return (f'<section id="discrepancies"><h2>Discrepancies (<span id="discrepancy-count">'
            f"{total} of {total}</span> checks shown)</h2>"
            '<p class="note">Known checks grouped by the registry entry they matched, new ones '
            "by adapter, status, error type and detail (numbers aside); open a group for its "
            f"checks.</p>{note}{body}</section>")


def _cross(document: dict, backend_of: dict[str, str], case_facets: dict[str, dict]) -> str:
    split = [r for r in document.get("cross_framework") or [] if len(r.get("groups") or []) > 1]
    split.sort(key=lambda r: str(r.get("case")))
    bodies = []
    for r in split:
        groups = r["groups"]
        names = [str(n) for g in groups for n in g.get("entry_points") or []]
        facets = {"backend": {backend_of.get(n, "") for n in names}}
        facets.update({k: [v] for k, v in case_facets.get(str(r.get("case")), {}).items()})
        rows = []
        for i, g in enumerate(groups):
            case_cell = (f'<th scope="rowgroup" rowspan="{len(groups)}">{_e(r.get("case"))}'
                         f"</th>" if i == 0 else "")
            rows.append(f"<tr>{case_cell}<td>{_e(', '.join(map(str, g.get('entry_points'))))}"
                        f"</td><td>{_e(json.dumps(g.get('shape')))}</td>"
                        f"<td>{_e(json.dumps(g.get('canonical')))}</td>"
                        f'<td><code class="call">{_e(g.get("call"))}</code></td></tr>')
        bodies.append(f'<tbody class="filterable"{_filter_attrs(facets)}>{"".join(rows)}'
                      "</tbody>")
    if not bodies:
        return ('<section id="cross"><h2>Same parameters, different answer</h2>'
                "<p>No case where the entry points that ran it disagree.</p></section>")
    return ('<section id="cross"><h2>Same parameters, different answer</h2>'
            '<p class="note">Each group: the entry points whose answers agree, the output shape, '
            "the window (begin, end, output_padding) per axis of their documented rule, and "
            'one native call.</p><table id="cross-table"><thead><tr><th>case</th>'
            "<th>entry points</th><th>shape</th><th>window</th><th>call</th></tr></thead>"
            f'{"".join(bodies)}</table></section>')


def _flag(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "?" if value is None else _e(value)


def _join(value: object) -> str:
    if isinstance(value, list):
        return _e(", ".join(str(v) for v in value)) if value else "\u2014"
    return _e(value)


def _capabilities(document: dict) -> str:
    rows = []
    for c in sorted(document.get("capabilities") or [], key=lambda c: str(c.get("adapter"))):
        rows.append(
            f'<tr class="filterable"{_filter_attrs({"backend": [str(c.get("backend") or "")]})}>'
            f'<th scope="row" title="{_e(c.get("entry_point"))}">{_e(c.get("adapter"))}</th>'
            f'<td>{_e(c.get("framework"))}</td><td>{_e(c.get("input_layout"))}</td>'
            f'<td>{_e(c.get("kernel_layout"))}</td><td>{_flag(c.get("kernel_flipped"))}</td>'
            f'<td>{_e(c.get("padding_vocabulary"))}</td><td>{_join(c.get("dims"))}</td>'
            f'<td>{_flag(c.get("groups"))}</td><td>{_flag(c.get("dilation"))}</td>'
            f'<td>{_join(c.get("padding_modes"))}</td><td>{_flag(c.get("output_shape"))}</td>'
            f'<td>{_join(c.get("dtypes"))}</td><td>{_flag(c.get("gradients"))}</td>'
            f'<td>{_e(c.get("bias"))}</td><td>{_join(c.get("framework_versions"))}</td></tr>')
    head = "".join(f"<th>{h}</th>" for h in (
        "entry point", "framework", "input layout", "kernel layout", "kernel flipped",
        "padding vocabulary", "dims", "groups", "dilation", "padding modes", "output_shape",
        "dtypes", "gradients", "bias", "recorded with"))
    return (f'<section><h2>Capabilities and conventions</h2><table id="capabilities">'
            f'<thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></section>')


def _known_issues(document: dict, backend_of: dict[str, str]) -> str:
    rows = []
    issues = sorted(document.get("known_issues") or [], key=lambda k: json.dumps(
        [k.get("adapter"), k.get("check"), k.get("case")], sort_keys=True, default=str))
    for k in issues:
        adapter = str(k.get("adapter") or "")
        rows.append(
            f'<tr class="filterable"{_filter_attrs({"backend": [backend_of.get(adapter, "")]})}>'
            f"<td>{_e(adapter)}</td><td>{_join(k.get('case'))}</td><td>{_e(k.get('check'))}</td>"
            f"<td>{_e(k.get('status'))}</td><td>{_e(k.get('versions'))}</td>"
            f"<td>{_e(k.get('matched'))}</td><td>{_e(k.get('evidence'))}</td>"
            f"<td>{_e(k.get('source', ''))}</td></tr>")
    return ('<section><h2>Known-issue registry</h2><table id="known-issues"><thead><tr>'
            "<th>adapter</th><th>cases</th><th>check</th><th>status</th><th>versions</th>"
            f'<th>matched</th><th>evidence</th><th>registry file</th></tr></thead><tbody>'
            f'{"".join(rows)}</tbody></table></section>')


def _data(checks: list[dict]) -> dict:
    """What the script needs: each check's facets and entry point, as indexes into value
    lists (a default run has ~14,000 checks)."""
    keys = FILTERS + ("adapter",)
    rows = [{**_facets(c), "adapter": str(c.get("adapter") or "")} for c in checks]
    values = {k: sorted({r[k] for r in rows}) for k in keys}
    index = {k: {v: i for i, v in enumerate(values[k])} for k in keys}
    statuses = _statuses(values["status"])
    return {"keys": list(keys), "values": values,
            "checks": [[index[k][r[k]] for k in keys] for r in rows],
            "order": statuses,
            "severity": sorted(statuses, key=lambda s: (_rank(s), s)),
            "css": {s: _css_name(s) for s in statuses}}


_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1b1f24;background:#fff}
header{background:#1f2a44;color:#f4f6fa;padding:12px 20px}
header h1{margin:0 0 8px;font-size:20px}
header dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:0}
header dt{font-weight:600}header dd{margin:0}header code{color:#ffe9a8}
section{padding:8px 20px}h2{font-size:17px;margin:12px 0 6px}
table{border-collapse:collapse;margin:4px 0}
th,td{border:1px solid #c8ccd2;padding:3px 6px;vertical-align:top;text-align:left}
thead th{background:#eef0f3;color:#1b1f24}
#matrix td.cell span{display:block;white-space:nowrap}
th span.path{display:block;font-weight:normal;font-size:11px;color:#555}
tr.kind-head th{background:#f6f7f9;font-style:italic}
td.empty{color:#999;text-align:center}
.badge{display:inline-block;padding:1px 6px;border-radius:8px;margin:2px 4px 2px 0;color:#1b1f24}
.note{color:#555;font-size:12px}header .sources{margin:4px 0 0}
label{margin-right:14px}select{margin-left:4px}
code.check-id{word-break:break-all}
pre{max-height:24em;overflow:auto;background:#f6f7f9;padding:6px;font-size:12px}
pre code.call{white-space:pre-wrap;word-break:break-all}
img.heatmap{display:block}
span.known{color:#1d4e89;font-size:12px}
#feature-matrix{font-size:12px}#feature-matrix td span{display:block;white-space:nowrap}
.ft-new{background:#f6aaaa}.ft-known{background:#d7e5fa}.ft-pass{background:#d6f0d6}
.ft-unsupported{background:#e8e8e8}
article.group{border:1px solid #c8ccd2;border-left:6px solid #dc6a6a;margin:8px 0;
padding:4px 10px}
article.group.known{border-left-color:#1d4e89}
article.group h4{margin:4px 0;font-size:14px;font-weight:normal}
p.evidence{margin:4px 0;color:#1d4e89}
ol.checks{padding-left:20px}
ol.checks>li.check{background:#fff;border-top:1px solid #e2e4e8;padding:4px 0}
p.check-head{margin:2px 0}
.check-body{display:flex;flex-wrap:wrap;gap:4px 16px}
.error-message{color:#8a1c1c}
dl.fields{display:grid;grid-template-columns:max-content 1fr;gap:0 8px;margin:4px 0}
dl.fields dd{margin:0}p.detail{margin:0 0 4px}
.st-pass{background:#d6f0d6}.st-unsupported{background:#e8e8e8}.st-known{background:#d7e5fa}
.st-precision{background:#fff0b8}.st-accepted-invalid{background:#fcd9b6}
.st-shape{background:#f9c79f}.st-mismatch{background:#f6aaaa}.st-error{background:#f19494}
.st-timeout{background:#e57f7f}.st-crash{background:#dc6a6a}
"""

# Reads the JSON block, then on every filter change: hides what does not match (a discrepancy
# group's card when none of its checks does), recounts the status matrix from the checks that
# do, and updates the counts. DOM text only, no innerHTML.
_SCRIPT = """
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("tconv-data").textContent);
  var filters = ["backend", "path", "status", "family", "dtype", "device"];
  function chosen() {
    var s = {};
    filters.forEach(function (k) { s[k] = document.getElementById("filter-" + k).value; });
    return s;
  }
  function shows(el, s) {
    return filters.every(function (k) {
      var attr = el.getAttribute("data-f-" + k);
      return s[k] === "" || attr === null || JSON.parse(attr).indexOf(s[k]) >= 0;
    });
  }
  function fillCell(td, counts) {
    while (td.firstChild) { td.removeChild(td.firstChild); }
    var present = data.order.filter(function (st) { return counts[st]; });
    if (!present.length) {
      td.className = "cell empty";
      td.textContent = "\\u2014";
      return;
    }
    var worst = data.severity.filter(function (st) { return counts[st]; })[0];
    td.className = "cell " + data.css[worst];
    present.forEach(function (st) {
      var span = document.createElement("span");
      span.className = "n " + data.css[st];
      span.textContent = counts[st] + " " + st;
      td.appendChild(span);
    });
  }
  function apply() {
    var s = chosen(), keys = data.keys, cells = {}, total = {}, n = 0;
    data.checks.forEach(function (row) {
      var c = {};
      keys.forEach(function (k, i) { c[k] = data.values[k][row[i]]; });
      if (!filters.every(function (k) { return s[k] === "" || c[k] === s[k]; })) { return; }
      n += 1;
      var key = c.adapter + "\\u0000" + c.family;
      cells[key] = cells[key] || {};
      cells[key][c.status] = (cells[key][c.status] || 0) + 1;
      total[c.status] = (total[c.status] || 0) + 1;
    });
    document.querySelectorAll("#matrix td.cell").forEach(function (td) {
      var key = td.getAttribute("data-adapter") + "\\u0000" + td.getAttribute("data-family");
      fillCell(td, cells[key] || {});
    });
    var checks = document.querySelectorAll("li.check"), visible = 0;
    checks.forEach(function (li) {
      var on = shows(li, s);
      li.hidden = !on;
      if (on) { visible += 1; }
    });
    document.getElementById("discrepancy-count").textContent = visible + " of " + checks.length;
    // A group's card goes when the filters hide every one of its checks.
    document.querySelectorAll("article.group").forEach(function (card) {
      var mine = card.querySelectorAll("li.check"), shown = 0;
      mine.forEach(function (li) { if (!li.hidden) { shown += 1; } });
      card.hidden = shown === 0;
      card.querySelector(".group-count").textContent = shown + " of " + mine.length;
    });
    document.querySelectorAll(".filterable").forEach(function (el) { el.hidden = !shows(el, s); });
    document.getElementById("filtered-summary").textContent = "Showing " + n + " of " +
      data.checks.length + " checks: " + data.order.filter(function (st) { return total[st]; })
        .map(function (st) { return total[st] + " " + st; }).join(", ");
  }
  filters.forEach(function (k) {
    document.getElementById("filter-" + k).addEventListener("change", apply);
  });
  apply();
}());
"""


def _policy() -> str:
    # Only the inline style, this script (by hash) and data: images may load; injected inline
    # handlers (onerror=...) would not run even if escaping failed: hash sources do not allow
    # event-handler attributes without 'unsafe-hashes'.
    # https://www.w3.org/TR/CSP3/#directive-script-src
    digest = base64.b64encode(hashlib.sha256(_SCRIPT.encode("utf-8")).digest()).decode("ascii")
    return (f"default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
            f"script-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'")


def render(document: dict) -> str:
    """The report.json ``document`` as one self-contained HTML page."""
    checks = sorted(document.get("checks") or [], key=lambda c: str(c.get("check_id")))
    backend_of: dict[str, str] = {}
    for c in document.get("capabilities") or []:
        backend_of.setdefault(str(c.get("adapter")), str(c.get("backend") or ""))
    case_facets: dict[str, dict] = {}
    for c in checks:
        backend_of.setdefault(str(c.get("adapter")), str(c.get("backend") or ""))
        case_facets.setdefault(str(c.get("case_id")),
                               {"family": _family(c), "dtype": str(c.get("dtype") or "")})
    tool = document.get("tool") or {}
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_policy()}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(tool.get('name', 'tconv'))} report {_e(document.get('generated_at'))}"
        "</title>",
        f"<style>{_STYLE}</style></head><body>",
        _header(document),
        _filters(checks),
        _matrix(checks),
        _features(checks),
        _discrepancies(checks),
        _cross(document, backend_of, case_facets),
        _capabilities(document),
        _known_issues(document, backend_of),
        _json_script("tconv-data", _data(checks)),
        f"<script>{_SCRIPT}</script>",
        "</body></html>",
        "",
    ])
