"""Shows a conversation's messages, each as plain text: the painter draws the text as it is, so
markup in a message is shown, never interpreted, and nothing is fetched from the network."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QAbstractItemView, QListView, QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from omniinbox.store.queries import ItemRow
from omniinbox.ui import format as fmt
from omniinbox.ui.item_delegate import PROMOTE_COLOR, PROTECT_COLOR
from omniinbox.ui.models.thread import ThreadModel

MARGIN = 8
INDENT = 48  # our own replies sit to the right
WRAP = Qt.TextFlag.TextWordWrap


def header_text(row: ItemRow) -> str:
    parts = [row.author_name or row.author_handle or "?"]
    if row.author_handle and row.author_handle != row.author_name:
        parts.append(row.author_handle)
    parts.append(fmt.kind_name(row.kind))
    parts.append(fmt.when(row.created_at))
    for team, value in sorted(row.tags.items(), reverse=True):
        parts.append(f"{fmt.team_short(team)}: {fmt.tag_name(value)}")
    return " · ".join(parts)


def body_text(row: ItemRow) -> str:
    text = row.text.strip() or "—"
    if row.subject and not text.startswith(row.subject):
        text = f"{row.subject}\n\n{text}"
    return text


class ThreadDelegate(QStyledItemDelegate):
    """Paints a message: a header line (author, kind, time, tags) above the wrapped text."""

    def __init__(self, view: QListView) -> None:
        super().__init__(view)
        self._view = view

    def _width(self, row: ItemRow) -> int:
        width = self._view.viewport().width() - 2 * MARGIN
        return max(width - (INDENT if row.direction == "out" else 0), 80)

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        row: ItemRow | None = index.data(ThreadModel.RowRole)
        if row is None:
            return QSize(0, 0)
        metrics = QFontMetrics(option.font)
        width = self._width(row) - 2 * MARGIN
        body = metrics.boundingRect(QRect(0, 0, width, 100_000), int(WRAP), body_text(row))
        return QSize(
            self._view.viewport().width() - 2 * self._view.spacing(), metrics.height() + body.height() + 4 * MARGIN
        )

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        row: ItemRow | None = index.data(ThreadModel.RowRole)
        if row is None:
            return
        painter.save()
        try:
            outbound = row.direction == "out"
            rect = option.rect.adjusted(MARGIN + (INDENT if outbound else 0), MARGIN // 2, -MARGIN, -MARGIN // 2)
            palette = option.palette
            base = palette.color(QPalette.ColorRole.AlternateBase if outbound else QPalette.ColorRole.Base)
            selected = bool(option.state & QStyle.StateFlag.State_Selected)
            border = palette.color(QPalette.ColorRole.Highlight if selected else QPalette.ColorRole.Mid)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(border)
            painter.setBrush(base)
            painter.drawRoundedRect(rect, 6, 6)
            inner = rect.adjusted(MARGIN, MARGIN // 2, -MARGIN, -MARGIN // 2)
            metrics = QFontMetrics(option.font)
            header = QRect(inner.left(), inner.top(), inner.width(), metrics.height())
            bold = QFont(option.font)
            bold.setBold(True)
            painter.setFont(bold)
            text_color = palette.color(QPalette.ColorRole.Text)
            dim = QColor(text_color)
            dim.setAlphaF(0.65)
            tag = next(iter(row.tags.values()), None)
            painter.setPen(dim if tag is None else (PROMOTE_COLOR if tag == "promote" else PROTECT_COLOR))
            line = metrics.elidedText(header_text(row), Qt.TextElideMode.ElideRight, header.width())
            painter.drawText(header, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, line)
            painter.setFont(option.font)
            painter.setPen(text_color)
            body = QRect(inner.left(), header.bottom() + MARGIN // 2, inner.width(), inner.bottom() - header.bottom())
            painter.drawText(body, int(WRAP | Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft), body_text(row))
        finally:
            painter.restore()


class ThreadView(QListView):
    """The thread: variable heights, relaid out when the width changes."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("thread")
        self.thread_model = ThreadModel(self)
        self.setModel(self.thread_model)
        self.setItemDelegate(ThreadDelegate(self))
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setWordWrap(True)
        self.setUniformItemSizes(False)
        self.setSpacing(2)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
