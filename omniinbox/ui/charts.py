"""Charts drawn with ``QPainter`` (QtCharts is not part of PySide6-Essentials): stacked bars,
grouped bars and lines over named categories, with a title, axis labels, a legend, tooltips that
give the numbers under the pointer, and the whole data as plain text (:meth:`Chart.summary`, also
the widget's accessible description) for screen readers and for copying.

Colours come from a colour-blind-safe set (Okabe and Ito) that reads on light and dark
backgrounds; text, axes and grid lines take the widget's palette, so the charts follow the
application's light or dark scheme.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QHelpEvent, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

# Okabe-Ito, reordered so neighbours differ in lightness too
SERIES_COLORS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#999999")
PROMOTE_COLOR = "#009E73"
PROTECT_COLOR = "#D55E00"

Formatter = Callable[[float], str]


def plain(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


@dataclass(frozen=True, slots=True)
class Series:
    """One named row of values, one per category (``None``: no value there)."""

    name: str
    values: tuple[float | None, ...]
    color: str = ""
    dashed: bool = False


def nice_step(top: float, ticks: int = 5, steps: Sequence[float] = ()) -> float:
    """A round step for about ``ticks`` intervals up to ``top``: 1, 2 or 5 times a power of ten,
    or the first of ``steps`` that gives no more than ``ticks`` intervals."""
    if top <= 0:
        return 1.0
    for step in steps:
        if top / step <= ticks:
            return step
    raw = top / ticks
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if m * power >= raw:
            return float(m * power)
    return float(10 * power)


DURATION_STEPS_MS: tuple[float, ...] = tuple(
    m * 60_000 for m in (1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 4320, 10080, 20160)
)


class Chart(QWidget):
    """What every chart shares: layout, axes, legend, tooltips and the plain-text summary.
    Subclasses draw the data (:meth:`_draw_data`) and register what a tooltip says over each
    shape (:meth:`_hit`)."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.x_label = ""
        self.y_label = ""
        self.categories: list[str] = []
        self.series: list[Series] = []
        self.format_value: Formatter = plain
        self.steps: Sequence[float] = ()
        self.empty_text = self.tr("No data yet")
        self._hits: list[tuple[QRectF, str]] = []
        self.setMinimumSize(320, 220)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # reachable by keyboard, for screen readers
        self.setAccessibleName(title)

    def sizeHint(self) -> QSize:
        return QSize(560, 300)

    # ------------------------------------------------------------------ data

    def set_data(
        self,
        categories: Sequence[str],
        series: Sequence[Series],
        *,
        x_label: str = "",
        y_label: str = "",
        format_value: Formatter | None = None,
        steps: Sequence[float] = (),
    ) -> None:
        self.categories = list(categories)
        self.series = [
            s if s.color else Series(s.name, s.values, SERIES_COLORS[n % len(SERIES_COLORS)], s.dashed)
            for n, s in enumerate(series)
        ]
        self.x_label, self.y_label = x_label, y_label
        self.format_value = format_value or plain
        self.steps = steps
        self.setAccessibleDescription(self.summary())
        self.setToolTip("")
        self.update()

    def has_data(self) -> bool:
        return any(v is not None and v > 0 for s in self.series for v in s.values)

    def summary(self) -> str:
        """The chart as text: a line per category with every series' value."""
        lines = [self.title]
        if not self.has_data():
            return f"{self.title}: {self.empty_text}"
        for n, category in enumerate(self.categories):
            parts = []
            for s in self.series:
                value = s.values[n] if n < len(s.values) else None
                parts.append(f"{s.name} {self.format_value(value) if value is not None else '–'}")
            lines.append(f"{category}: " + ", ".join(parts))
        return "\n".join(lines)

    def top_value(self) -> float:
        return max((v for s in self.series for v in s.values if v is not None), default=0.0)

    # ------------------------------------------------------------------ tooltips

    def _hit(self, rect: QRectF, text: str) -> None:
        self._hits.append((rect, text))

    def tooltip_at(self, pos: QPointF) -> str:
        for rect, text in reversed(self._hits):
            if rect.contains(pos):
                return text
        return ""

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            text = self.tooltip_at(QPointF(event.pos()))
            if text:
                QToolTip.showText(event.globalPos(), text, self)
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().event(event)

    # ------------------------------------------------------------------ painting

    def _colors(self) -> tuple[QColor, QColor, QColor]:
        pal = self.palette()
        text = pal.color(QPalette.ColorRole.WindowText)
        axis = QColor(text)
        axis.setAlpha(170)
        grid = QColor(text)
        grid.setAlpha(40)
        return text, axis, grid

    def series_color(self, series: Series) -> QColor:
        color = QColor(series.color)
        if self.palette().color(QPalette.ColorRole.Window).lightness() < 128 and color.lightness() < 110:
            color = color.lighter(150)  # dark blue on a dark window
        return color

    def paintEvent(self, _event: QPaintEvent) -> None:
        self._hits = []
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        text, axis, grid = self._colors()
        fm = QFontMetricsF(self.font())
        line = fm.height()
        bounds = QRectF(self.rect()).adjusted(8, 6, -8, -6)
        title_font = self.font()
        title_font.setBold(True)
        p.setFont(title_font)
        p.setPen(text)
        p.drawText(QRectF(bounds.left(), bounds.top(), bounds.width(), line), Qt.AlignmentFlag.AlignLeft, self.title)
        p.setFont(self.font())
        legend_rows = self._legend(p, QRectF(bounds.left(), bounds.top() + line + 2, bounds.width(), line), text, fm)
        top = bounds.top() + line * (1 + legend_rows) + 10
        if not self.has_data():
            p.setPen(axis)
            p.drawText(QRectF(bounds.left(), top, bounds.width(), bounds.bottom() - top),
                       Qt.AlignmentFlag.AlignCenter, self.empty_text)  # fmt: skip
            p.end()
            return
        step = nice_step(self.top_value(), 5, self.steps)
        ceiling = step * max(1, math.ceil(self.top_value() / step))
        ticks = [step * n for n in range(round(ceiling / step) + 1)]
        tick_width = max(fm.horizontalAdvance(self.format_value(t)) for t in ticks)
        left = bounds.left() + (line + 4 if self.y_label else 0) + tick_width + 6
        bottom = bounds.bottom() - line * (2 if self.x_label else 1) - 6
        plot = QRectF(left, top, bounds.right() - left, bottom - top)
        # y axis: ticks, grid, label
        for t in ticks:
            y = plot.bottom() - plot.height() * t / ceiling
            p.setPen(QPen(grid, 1))
            p.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            p.setPen(axis)
            p.drawText(QRectF(bounds.left(), y - line / 2, left - bounds.left() - 6, line),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, self.format_value(t))  # fmt: skip
        if self.y_label:
            p.save()
            p.translate(bounds.left(), plot.center().y())
            p.rotate(-90)
            p.setPen(axis)
            p.drawText(QRectF(-plot.height() / 2, 0, plot.height(), line), Qt.AlignmentFlag.AlignCenter, self.y_label)
            p.restore()
        p.setPen(QPen(axis, 1))
        p.drawLine(plot.bottomLeft(), plot.bottomRight())
        p.drawLine(plot.bottomLeft(), plot.topLeft())
        # x axis: category labels (thinned out when they would overlap), label
        n = max(len(self.categories), 1)
        slot = plot.width() / n
        widest = max((fm.horizontalAdvance(c) for c in self.categories), default=0.0) + 8
        every = max(1, math.ceil(widest / slot)) if slot > 0 else 1
        for i, category in enumerate(self.categories):
            if (n - 1 - i) % every:
                continue  # keep the newest label
            x = plot.left() + slot * i
            p.drawText(QRectF(x - slot * (every - 1) / 2 - 20, plot.bottom() + 3, slot * every + 40, line),
                       Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, category)  # fmt: skip
        if self.x_label:
            p.drawText(QRectF(plot.left(), plot.bottom() + line + 4, plot.width(), line),
                       Qt.AlignmentFlag.AlignHCenter, self.x_label)  # fmt: skip
        self._draw_data(p, plot, ceiling, slot)
        p.end()

    def _legend(self, p: QPainter, row: QRectF, text: QColor, fm: QFontMetricsF) -> int:
        """Draw the legend from the row's left, wrapping; returns the rows used."""
        x, y, rows = row.left(), row.top(), 1
        box = fm.height() * 0.7
        for s in self.series:
            width = box + 4 + fm.horizontalAdvance(s.name) + 14
            if x + width > row.right() and x > row.left():
                x, y, rows = row.left(), y + fm.height(), rows + 1
            color = self.series_color(s)
            if s.dashed:
                p.setPen(QPen(color, 2, Qt.PenStyle.DashLine))
                p.drawLine(QPointF(x, y + fm.height() / 2), QPointF(x + box, y + fm.height() / 2))
            else:
                p.fillRect(QRectF(x, y + (fm.height() - box) / 2, box, box), color)
            p.setPen(text)
            p.drawText(QRectF(x + box + 4, y, width, fm.height()), Qt.AlignmentFlag.AlignVCenter, s.name)
            x += width
        return rows

    def _draw_data(self, p: QPainter, plot: QRectF, ceiling: float, slot: float) -> None:
        raise NotImplementedError


class StackedBarChart(Chart):
    """A bar per category, stacked by series (series in the legend's order from the bottom)."""

    def top_value(self) -> float:
        return max((sum(s.values[i] or 0 for s in self.series) for i in range(len(self.categories))), default=0.0)

    def _draw_data(self, p: QPainter, plot: QRectF, ceiling: float, slot: float) -> None:
        width = max(slot * 0.7, 2.0)
        for i, category in enumerate(self.categories):
            total = sum(s.values[i] or 0 for s in self.series)
            x = plot.left() + slot * i + (slot - width) / 2
            base = 0.0
            for s in self.series:
                value = s.values[i] or 0
                if value <= 0:
                    continue
                y0 = plot.bottom() - plot.height() * base / ceiling
                y1 = plot.bottom() - plot.height() * (base + value) / ceiling
                rect = QRectF(x, y1, width, y0 - y1)
                p.fillRect(rect, self.series_color(s))
                self._hit(rect, f"{category}\n{s.name}: {self.format_value(value)}\n"
                                + self.tr("Total: %1").replace("%1", self.format_value(total)))  # fmt: skip
                base += value
            column = QRectF(plot.left() + slot * i, plot.top(), slot, plot.height())
            lines = [f"{s.name}: {self.format_value(s.values[i] or 0)}" for s in self.series if s.values[i]]
            self._hits.insert(0, (column, f"{category}\n" + "\n".join(lines)
                                  + "\n" + self.tr("Total: %1").replace("%1", self.format_value(total))))  # fmt: skip


class GroupedBarChart(Chart):
    """Side-by-side bars per category, one per series, with the value above each bar."""

    def _draw_data(self, p: QPainter, plot: QRectF, ceiling: float, slot: float) -> None:
        k = max(len(self.series), 1)
        width = min(slot * 0.8 / k, 80.0)
        fm = QFontMetricsF(self.font())
        text, _axis, _grid = self._colors()
        for i, category in enumerate(self.categories):
            start = plot.left() + slot * i + (slot - width * k) / 2
            for j, s in enumerate(self.series):
                value = s.values[i] or 0
                height = plot.height() * value / ceiling
                rect = QRectF(start + j * width + 2, plot.bottom() - height, width - 4, height)
                p.fillRect(rect, self.series_color(s))
                p.setPen(text)
                label = QRectF(rect.left() - 10, rect.top() - fm.height(), rect.width() + 20, fm.height())
                p.drawText(
                    label, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom, self.format_value(value)
                )
                self._hit(
                    QRectF(rect.left(), plot.top(), rect.width(), plot.height()),
                    f"{category}\n{s.name}: {self.format_value(value)}",
                )


class LineChart(Chart):
    """A line per series across the categories, with a dot on each value; gaps where there is
    none. Dashed series draw dashed."""

    def _draw_data(self, p: QPainter, plot: QRectF, ceiling: float, slot: float) -> None:
        for s in self.series:
            color = self.series_color(s)
            pen = QPen(color, 2, Qt.PenStyle.DashLine if s.dashed else Qt.PenStyle.SolidLine)
            previous: QPointF | None = None
            for i, value in enumerate(s.values):
                if value is None:
                    previous = None
                    continue
                point = QPointF(plot.left() + slot * (i + 0.5), plot.bottom() - plot.height() * value / ceiling)
                p.setPen(pen)
                if previous is not None:
                    p.drawLine(previous, point)
                p.setPen(QPen(color, 1))
                p.setBrush(color)
                p.drawEllipse(point, 2.5, 2.5)
                previous = point
        p.setBrush(Qt.BrushStyle.NoBrush)
        for i, category in enumerate(self.categories):
            lines = [
                f"{s.name}: {self.format_value(v) if (v := s.values[i]) is not None else '–'}" for s in self.series
            ]
            self._hit(
                QRectF(plot.left() + slot * i, plot.top(), slot, plot.height()), f"{category}\n" + "\n".join(lines)
            )
