"""Charts of a fund's balances, drawn on the server as SVG.

The geometry (positions, widths, band paths) is computed here from the same balance rows as
the page's table, so a chart and its table always agree, now or ``as_of`` a past moment; the
markup is in ``templates/charts/``. No script and no inline style: colours come from classes
in ``app.css`` (with presentation attributes as a fallback), so the CSP holds and print rules
can turn everything black on white.

- ``rate_charts``: horizontal bars of the execution rate (执行率 = spent ÷ received, as the
  rows compute it) of the regions below the viewer, one chart per level, sorted.
- ``money_flow``: where the viewer's money went, as a Sankey-like flow in three columns:
  sources → the regions it was allocated to (each with everything below it) and the
  viewer's own region → what became of it (paid, carried over, available, still reserved
  by drafts).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from fundtrack.core.i18n import _, _l

#: chart titles per level of the regions shown (word order differs between languages)
RATE_CHART_TITLES = {
    "prefecture": _l("各市州执行率"),
    "county": _l("各县市区执行率"),
    "township": _l("各乡镇执行率"),
}
#: title of the chart of a viewer with no region below it
OWN_RATE_TITLE = _l("本地区执行率")

#: what became of the money, in the order the flow chart stacks it
OUTCOMES = ("disbursed", "carried_over", "available", "reserved")
OUTCOME_LABELS = {
    "disbursed": _l("已支出（含待审批）"),
    "carried_over": _l("已结转"),
    "available": _l("可用余额"),
    "reserved": _l("待审批的下达或收回"),
}
#: money that reached the regions below the viewer other than from the viewer's region
OTHER_SOURCES = _l("其他来源")
OTHER_SOURCES_NOTE = _l("上级直接下达或上年结转转入的资金")

# -- execution rate bars -------------------------------------------------------------------

BAR_WIDTH = 660  #: the SVG's width in user units
BAR_LABEL = 180  #: the column of region names, left of the bars
BAR_PLOT = 380  #: the length of a 100 % bar
BAR_ROW = 24  #: the height of one region's row
BAR_THICK = 16  #: the thickness of a bar
BAR_TOP = 22  #: room above the bars for the reference line's label
BAR_BOTTOM = 22  #: room below the bars for the axis labels


@dataclass
class RateBar:
    region_code: str
    region_name: str
    rate: Decimal | None  #: spent ÷ received, four places; None when nothing was received
    spent_fen: int
    received_fen: int
    y: float  #: top of the bar
    width: float  #: length of the bar (100 % = BAR_PLOT; a rate above 100 % is capped)
    value_x: float = 0.0  #: where the value label starts

    @property
    def percent(self) -> str:
        return "—" if self.rate is None else f"{self.rate * 100:.2f}%"

    @property
    def text_y(self) -> float:
        return self.y + BAR_THICK - 4


@dataclass
class RateChart:
    key: str  #: the level of the regions shown, or ``own``
    title: str
    bars: list[RateBar]
    #: the viewer's own region, drawn as a dashed reference line: (name, rate, x) or None
    reference: tuple[str, str, float] | None
    width: int = BAR_WIDTH
    label_x: int = BAR_LABEL - 8
    plot_x: int = BAR_LABEL
    plot_width: int = BAR_PLOT
    thickness: int = BAR_THICK
    ticks: list[tuple[float, str]] = field(default_factory=list)

    @property
    def height(self) -> int:
        return BAR_TOP + len(self.bars) * BAR_ROW + BAR_BOTTOM

    @property
    def plot_top(self) -> int:
        return BAR_TOP - 4

    @property
    def plot_bottom(self) -> int:
        return BAR_TOP + len(self.bars) * BAR_ROW

    @property
    def id(self) -> str:
        return f"rate-chart-{self.key}"


def _bar_length(rate: Decimal | None) -> float:
    if rate is None or rate <= 0:
        return 0.0
    return round(float(min(rate, Decimal(1))) * BAR_PLOT, 1)


def rate_width(rate: Decimal | None, scale: float = 100.0) -> float:
    """A rate as the length of a bar of ``scale`` units at 100 % (capped, never negative)."""
    if rate is None or rate <= 0:
        return 0.0
    return round(float(min(rate, Decimal(1))) * scale, 1)


def _sort_key(row):
    # highest rate first; regions that received nothing last; then by code
    return (row.execution_rate is None, -(row.execution_rate or 0), row.region_code)


def rate_charts(rows, root_code: str) -> list[RateChart]:
    """The execution-rate charts of the regions below ``root_code`` in ``rows`` (the fund
    page's balance rows), one per level (prefectures, then counties); a viewer with no region
    below it gets a chart of its own region. No chart when there is no row at all."""
    if not rows:
        return []
    root = next((row for row in rows if row.region_code == root_code), None)
    by_level: dict[str, list] = defaultdict(list)
    for row in rows:
        if row.region_code != root_code:
            by_level[row.level].append(row)
    groups = [
        (level, str(RATE_CHART_TITLES.get(level, OWN_RATE_TITLE)), by_level[level])
        for level in ("prefecture", "county", "township")
        if by_level.get(level)
    ]
    if not groups:
        if root is None:
            return []
        groups = [("own", str(OWN_RATE_TITLE), [root])]
    reference = None
    if root is not None and root.execution_rate is not None and groups[0][0] != "own":
        rate = root.execution_rate
        reference = (root.region_name, f"{rate * 100:.2f}%", BAR_LABEL + _bar_length(rate))
    charts = []
    for key, title, members in groups:
        bars = [
            RateBar(
                region_code=row.region_code,
                region_name=row.region_name,
                rate=row.execution_rate,
                spent_fen=row.spent_fen,
                received_fen=row.received_fen,
                y=BAR_TOP + index * BAR_ROW + (BAR_ROW - BAR_THICK) / 2,
                width=_bar_length(row.execution_rate),
            )
            for index, row in enumerate(sorted(members, key=_sort_key))
        ]
        for bar in bars:
            bar.value_x = round(BAR_LABEL + bar.width + 6, 1)
            # keep the label clear of the reference line just after the bar's end
            if reference is not None and 0 <= reference[2] - (BAR_LABEL + bar.width) < 8:
                bar.value_x = round(reference[2] + 4, 1)
        ticks = [(BAR_LABEL + BAR_PLOT * share / 4, f"{share * 25}%") for share in range(5)]
        charts.append(RateChart(key, title, bars, reference, ticks=ticks))
    return charts


# -- money flow ------------------------------------------------------------------------------

FLOW_WIDTH = 850
FLOW_COLUMNS = (190, 430, 640)  #: x of the node bars of the three columns
FLOW_NODE = 14  #: thickness of a node bar
FLOW_MONEY = 320  #: height that all the money together takes in a column
FLOW_SLOT = 32  #: least height of a node's place (two lines of label)
FLOW_GAP = 8  #: space between two nodes of a column
FLOW_MARGIN = 12


@dataclass
class FlowNode:
    key: str
    label: str
    amount_fen: int
    column: int  #: 0 sources, 1 recipients, 2 outcomes
    kind: str  #: css modifier: root, other, region, own, or an outcome
    region_code: str | None = None
    x: float = 0.0
    y: float = 0.0
    height: float = 0.0
    slot: float = 0.0
    note: str = ""  #: what the node means, for its tooltip and the chart's description

    @property
    def label_x(self) -> float:
        return self.x - 8 if self.column == 0 else self.x + FLOW_NODE + 6

    @property
    def anchor(self) -> str:
        return "end" if self.column == 0 else "start"

    @property
    def label_y(self) -> float:
        """Baseline of the first label line: the name, centred on the node with the amount."""
        return self.y + self.height / 2 - 2

    @property
    def draw_height(self) -> float:
        return max(self.height, 2.0)


@dataclass
class FlowLink:
    source: str
    target: str
    amount_fen: int
    kind: str
    path: str = ""
    source_label: str = ""
    target_label: str = ""


@dataclass
class FlowChart:
    nodes: list[FlowNode]
    links: list[FlowLink]
    height: int
    width: int = FLOW_WIDTH
    node_width: int = FLOW_NODE

    def column(self, index: int) -> list[FlowNode]:
        return [node for node in self.nodes if node.column == index]

    @property
    def total_fen(self) -> int:
        """All the money of the chart: what the sources brought, what the outcomes hold."""
        return sum(node.amount_fen for node in self.column(2))

    def outcome_fen(self, kind: str) -> int:
        return sum(node.amount_fen for node in self.column(2) if node.kind == kind)


def _band(x0: float, y0: float, x1: float, y1: float, width: float) -> str:
    """A band of ``width`` from (x0, y0) to (x1, y1) (top edges), curved like a Sankey link."""
    middle = (x0 + x1) / 2
    return (
        f"M{x0:.1f},{y0:.2f} C{middle:.1f},{y0:.2f} {middle:.1f},{y1:.2f} {x1:.1f},{y1:.2f} "
        f"L{x1:.1f},{y1 + width:.2f} C{middle:.1f},{y1 + width:.2f} {middle:.1f},"
        f"{y0 + width:.2f} {x0:.1f},{y0 + width:.2f} Z"
    )


@dataclass
class _Nothing:
    """The figures of a region without any: every amount zero."""

    region_code: str
    region_name: str = ""
    received_fen: int = 0
    allocated_out_fen: int = 0
    disbursed_fen: int = 0
    carried_over_fen: int = 0
    available_fen: int = 0


def money_flow(rows, root_code: str, flows: dict[tuple[str, str], int]) -> FlowChart | None:
    """The flow of the money of ``root_code``'s subtree, from the balance rows and the
    allocation edges (``balances.Flows``, filled by the same statement as the rows). None
    when there is no money to draw.

    Every node keeps its money: a source gives what its links carry, a recipient receives
    and passes on the same amount, and the outcomes add up to every source together, which is
    also the sum of the table's paid, carried-over and available columns plus what drafts
    still reserve.
    """
    by_code = {row.region_code: row for row in rows}
    # a viewer's region that never touched the fund (its regions below got money straight
    # from above) holds nothing: all their money then comes from other sources
    root = by_code.get(root_code) or _Nothing(root_code)
    sent: dict[str, int] = defaultdict(int)
    for (giver, _receiver), amount in flows.items():
        sent[giver] += amount

    def outcomes(row) -> dict[str, int]:
        # what a region still holds or used: received = allocated out + these, and
        # allocated out = what reached receivers + what drafts reserve
        return {
            "disbursed": row.disbursed_fen,
            "carried_over": row.carried_over_fen,
            "available": row.available_fen,
            "reserved": row.allocated_out_fen - sent.get(row.region_code, 0),
        }

    # each region below the root belongs to its topmost ancestor shown below the root
    def top(row) -> str:
        code = row.region_code
        parent = row.parent
        while parent is not None and parent != root_code and parent in by_code:
            code, parent = parent, by_code[parent].parent
        return code

    groups: dict[str, list] = defaultdict(list)
    for row in rows:
        if row.region_code != root_code:
            groups[top(row)].append(row)

    nodes: list[FlowNode] = []
    links: list[FlowLink] = []
    totals: dict[str, int] = dict.fromkeys(OUTCOMES, 0)
    other_total = 0
    recipients: list[tuple[FlowNode, dict[str, int]]] = []
    for code, members in groups.items():
        held = dict.fromkeys(OUTCOMES, 0)
        for member in members:
            for kind, amount in outcomes(member).items():
                held[kind] += max(amount, 0)
        inflow = sum(held.values())
        from_root = sum(flows.get((root_code, member.region_code), 0) for member in members)
        from_root = max(0, min(from_root, inflow))
        other = inflow - from_root
        if inflow <= 0:
            continue
        node = FlowNode(f"r-{code}", by_code[code].region_name, inflow, 1, "region", code)
        recipients.append((node, held))
        if from_root:
            links.append(FlowLink("root", node.key, from_root, "allocated"))
        if other:
            links.append(FlowLink("other", node.key, other, "other"))
            other_total += other
    recipients.sort(key=lambda item: (-item[0].amount_fen, item[0].key))
    own = {kind: max(amount, 0) for kind, amount in outcomes(root).items()}
    own_total = sum(own.values())
    own_label = _("%(name)s本级", name=root.region_name)
    own_node = FlowNode("own", own_label, own_total, 1, "own", root_code)
    if own_total:
        links.append(FlowLink("root", "own", own_total, "own"))
        recipients.append((own_node, own))
    root_total = sum(link.amount_fen for link in links if link.source == "root")
    if root_total + other_total <= 0:
        return None

    if root_total:
        nodes.append(FlowNode("root", root.region_name, root_total, 0, "root", root_code))
    if other_total:
        nodes.append(
            FlowNode("other", str(OTHER_SOURCES), other_total, 0, "other",
                     note=str(OTHER_SOURCES_NOTE))
        )  # fmt: skip
    for node, held in recipients:
        nodes.append(node)
        for kind in OUTCOMES:
            if held[kind]:
                links.append(FlowLink(node.key, kind, held[kind], kind))
                totals[kind] += held[kind]
    for kind in OUTCOMES:
        if totals[kind]:
            nodes.append(FlowNode(kind, str(OUTCOME_LABELS[kind]), totals[kind], 2, kind))

    _layout(nodes, links, root_total + other_total)
    height = max(node.y + node.slot for node in nodes) + FLOW_MARGIN
    return FlowChart(nodes, links, int(height + 0.999))


def _layout(nodes: list[FlowNode], links: list[FlowLink], total: int) -> None:
    """Place the nodes in their columns (each at least a label's height apart, money to
    scale) and draw every link as a band leaving its source and entering its target in the
    order of the nodes."""
    scale = FLOW_MONEY / total
    columns = [[node for node in nodes if node.column == index] for index in range(3)]
    stacks = []
    for column in columns:
        for node in column:
            node.height = node.amount_fen * scale
            node.slot = max(node.height, FLOW_SLOT)
        stacks.append(sum(node.slot for node in column) + FLOW_GAP * max(len(column) - 1, 0))
    tallest = max(stacks)
    for index, column in enumerate(columns):
        y = FLOW_MARGIN + (tallest - stacks[index]) / 2
        for node in column:
            node.x = FLOW_COLUMNS[index]
            node.y = y + (node.slot - node.height) / 2
            y += node.slot + FLOW_GAP
    by_key = {node.key: node for node in nodes}
    order = {node.key: index for index, node in enumerate(nodes)}
    out_offset: dict[str, float] = defaultdict(float)
    in_offset: dict[str, float] = defaultdict(float)
    starts: dict[int, float] = {}
    # leave each source in the order of the targets, enter each target in the order of the
    # sources: the bands do not cross within a node
    for link in sorted(links, key=lambda link: (order[link.source], order[link.target])):
        starts[id(link)] = by_key[link.source].y + out_offset[link.source]
        out_offset[link.source] += link.amount_fen * scale
    for link in sorted(links, key=lambda link: (order[link.target], order[link.source])):
        target, source = by_key[link.target], by_key[link.source]
        width = link.amount_fen * scale
        y1 = target.y + in_offset[link.target]
        in_offset[link.target] += width
        link.path = _band(source.x + FLOW_NODE, starts[id(link)], target.x, y1, max(width, 0.5))
        link.source_label, link.target_label = source.label, target.label
