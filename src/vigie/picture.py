"""The fibre tree as an SVG: each segment coloured by its load before and after.

Points of presence are laid out by depth from the datacenter (columns) and in
tree order (rows); each segment is drawn twice, the upper stroke for the load
before the change and the lower for the load after, green below 50 %, orange
up to the 70 % limit, red above. The SVG is plain text (reviewable, diffable)
and is linked from the plan.
"""

from __future__ import annotations

from html import escape

from vigie.model import Inventory
from vigie.sizing import MAX_SEGMENT_LOAD, FibreTree, fibre_tree, segment_loads_kbps

COLUMN, ROW, MARGIN = 220, 56, 40


def load_colour(fraction: float | None) -> str:
    if fraction is None:
        return "#bbbbbb"  # the segment does not exist on that side
    if fraction > MAX_SEGMENT_LOAD:
        return "#d62728"
    if fraction > 0.5:
        return "#ff7f0e"
    return "#2ca02c"


def _layout(tree: FibreTree, pops: list[str]) -> dict[str, tuple[int, int]]:
    children: dict[str, list[str]] = {}
    for pop, (parent, _seg) in sorted(tree.parent.items()):
        children.setdefault(parent, []).append(pop)
    where: dict[str, tuple[int, int]] = {}
    row = 0

    def place(pop: str) -> None:
        nonlocal row
        where[pop] = (MARGIN + tree.depth[pop] * COLUMN, MARGIN + row * ROW)
        row += 1
        for child in children.get(pop, []):
            place(child)

    if tree.root:
        place(tree.root)
    for pop in pops:  # not connected to the datacenter: a last column
        if pop not in where:
            where[pop] = (
                MARGIN + (max(tree.depth.values(), default=0) + 1) * COLUMN,
                MARGIN + row * ROW,
            )
            row += 1
    return where


def fibre_svg(before: Inventory | None, after: Inventory) -> str:
    tree = fibre_tree(after)
    pops = sorted(after.points_of_presence)
    where = _layout(tree, pops)
    load_after = segment_loads_kbps(after, tree)
    load_before = segment_loads_kbps(before) if before else {}
    width = max((x for x, _ in where.values()), default=0) + COLUMN + MARGIN
    height = max((y for _, y in where.values()), default=0) + ROW + MARGIN + 40
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="12">',
        "<title>Fibre load per segment: upper stroke before, lower stroke after</title>",
        f'<rect width="{width}" height="{height}" fill="white"/>',
    ]
    for seg in sorted(after.segments.values(), key=lambda s: s.id):
        a, b = seg.ends
        if a not in where or b not in where:
            continue
        (x1, y1), (x2, y2) = where[a], where[b]
        cap = seg.capacity_mbps * 1000
        before_kbps = load_before.get(seg.id) if before else 0
        fractions = (
            None if before_kbps is None else before_kbps / cap,
            load_after.get(seg.id, 0) / cap,
        )
        for offset, fraction, label in ((-3, fractions[0], "before"), (3, fractions[1], "after")):
            out.append(
                f'<line x1="{x1}" y1="{y1 + offset}" x2="{x2}" y2="{y2 + offset}" '
                f'stroke="{load_colour(fraction)}" stroke-width="5">'
                f"<title>{escape(seg.id)} {label}: "
                f"{'-' if fraction is None else f'{fraction:.1%}'}</title></line>"
            )
        text = " → ".join("-" if f is None else f"{f:.0%}" for f in fractions)
        out.append(
            f'<text x="{(x1 + x2) / 2 + 4}" y="{(y1 + y2) / 2 - 8}">{escape(seg.id)} {text}</text>'
        )
    for pop, (x, y) in sorted(where.items()):
        kind = after.points_of_presence[pop].kind
        fill = "#1f77b4" if kind == "datacenter" else "#ffffff"
        out.append(
            f'<circle cx="{x}" cy="{y}" r="8" fill="{fill}" stroke="#1f77b4" stroke-width="2"/>'
        )
        out.append(f'<text x="{x + 12}" y="{y + 16}">{escape(pop)}</text>')
    legend_y = height - 20
    for i, (colour, label) in enumerate(
        (("#2ca02c", "≤ 50 %"), ("#ff7f0e", "≤ 70 %"), ("#d62728", "> 70 % (refused)"))
    ):
        x = MARGIN + i * 150
        out.append(f'<rect x="{x}" y="{legend_y - 10}" width="20" height="8" fill="{colour}"/>')
        out.append(f'<text x="{x + 26}" y="{legend_y - 2}">{escape(label)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
