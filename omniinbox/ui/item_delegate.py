"""Paints the item list's rows: one fixed-height line per item, drawn with the painter (no widgets,
no rich text: message text is drawn as plain text, elided to the column).

Columns (see :class:`omniinbox.ui.models.item_list.Column`): a channel pill with a priority bar,
the author with a KOL mark and follower count, the excerpt, the account with a mark for leaders'
personal accounts, the age, both teams' Promote/Protect tags side by side (each team keeps its
slot so the columns line up), the assignee and the SLA state. Unread items are bold.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from omniinbox.store.views import ListRow
from omniinbox.ui import format as fmt
from omniinbox.ui.models.item_list import Column, ItemListModel
from omniinbox.usecases import SlaKind

CHANNEL_COLORS: dict[str, str] = {
    "x": "#333333",
    "facebook": "#1877f2",
    "instagram": "#c13584",
    "youtube": "#cc0000",
    "mastodon": "#6364ff",
    "telegram": "#229ed9",
    "whatsapp": "#128c7e",
    "email": "#5f6b7a",
    "zendesk": "#03363d",
    "freshdesk": "#25c16f",
    "zammad": "#d7a41c",
    "chatwoot": "#1f93ff",
    "listening": "#7a5c3e",
}
CHANNEL_SHORT: dict[str, str] = {
    "x": "X",
    "facebook": "FB",
    "instagram": "IG",
    "youtube": "YT",
    "mastodon": "MA",
    "telegram": "TG",
    "whatsapp": "WA",
    "email": "@",
    "zendesk": "ZD",
    "freshdesk": "FD",
    "zammad": "ZM",
    "chatwoot": "CW",
    "listening": "LI",
}
PROMOTE_COLOR = QColor("#2e7d32")
PROTECT_COLOR = QColor("#c62828")
KOL_COLOR = QColor("#b7791f")
LEADER_COLOR = QColor("#6a1b9a")
PRIORITY_COLORS = {2: QColor("#ef8a00"), 3: QColor("#d32f2f")}
SLA_COLORS = {SlaKind.OVERDUE: QColor("#d32f2f"), SlaKind.SOON: QColor("#ef8a00")}
PAD = 6
# Made once: combining Qt's flags with "|" builds a new Python enum value each time, and these
# are asked for in every painted cell.
_LEFT = Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft
_LEFT_LINE = _LEFT | Qt.TextFlag.TextSingleLine
_RIGHT = Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight
_COLUMNS = tuple(Column)  # by index: Column(n) goes through the enum's constructor
_PANEL = QStyle.PrimitiveElement.PE_PanelItemViewItem
_SELECTED = QStyle.StateFlag.State_Selected
_TEXT = QPalette.ColorRole.Text
_HIGHLIGHTED_TEXT = QPalette.ColorRole.HighlightedText
_ELIDED_KEPT = 4096


class ItemDelegate(QStyledItemDelegate):
    """See the module docstring. ``row_height()`` is the one height every row has."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._small = QFont()
        self._small.setPointSizeF(max(self._small.pointSizeF() * 0.82, 6.0))
        # What every cell of a paint would otherwise make again: the row font (normal or bold)
        # by the view's font, the text colours by palette and selection, and elided texts (a
        # repaint of the same rows, after a sync or a change elsewhere, elides the same texts).
        self._base: QFont | None = None
        self._fonts: tuple[QFont, QFont] = (QFont(), QFont())  # normal, bold: made from _base
        self._colors: dict[tuple[int, bool], tuple[QColor, QColor]] = {}
        self._elided: dict[tuple[str, int, bool], str] = {}

    def row_height(self, font: QFont) -> int:
        return QFontMetrics(font).height() + 12

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        return QSize(super().sizeHint(option, index).width(), self.row_height(option.font))

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        # Not initStyleOption: it asks the model for a dozen roles per cell (text, icon, font,
        # colours...) that this delegate does not use, the bulk of a scroll frame's time. The view's
        # option already carries what the panel needs (rect, state, palette, alternate rows), and
        # is only read here, so it is not copied either.
        widget = option.widget
        painter.save()
        try:
            if widget is not None:
                widget.style().drawPrimitive(_PANEL, option, painter, widget)
            selected = bool(option.state & _SELECTED)
            palette = option.palette
            colors = self._colors.get((palette.cacheKey(), selected))
            if colors is None:
                text_color = palette.color(_HIGHLIGHTED_TEXT if selected else _TEXT)
                dim = QColor(text_color)
                dim.setAlphaF(0.6)
                colors = self._colors[palette.cacheKey(), selected] = (text_color, dim)
            text_color, dim = colors
            row = index.data(ItemListModel.RowRole)
            rect = option.rect.adjusted(PAD, 0, -PAD, 0)
            column = _COLUMNS[index.column()]
            if row is None:
                self._placeholder(painter, rect, column, index, dim)
                return
            painter.setFont(self._row_font(option.font, bold=not row.is_read))
            painter.setPen(text_color)
            model = index.model()
            self._paint_cell(painter, rect, column, row, text_color, dim, model)
        finally:
            painter.restore()

    def _row_font(self, base: QFont, *, bold: bool) -> QFont:
        if self._base is None or base != self._base:  # the view's font changed (or this is the first row)
            self._base = QFont(base)
            normal, heavy = QFont(base), QFont(base)
            normal.setBold(False)
            heavy.setBold(True)
            self._fonts = (normal, heavy)
            self._elided.clear()
        return self._fonts[bold]

    # ------------------------------------------------------------------ cells

    def _placeholder(self, painter: QPainter, rect: QRect, column: Column, index: QModelIndex | QPersistentModelIndex,
                     dim: QColor) -> None:  # fmt: skip
        if column is Column.TEXT:
            painter.setPen(dim)
            painter.drawText(rect, _LEFT, str(index.data()))
            return
        bar = QRect(rect.left(), rect.center().y() - 3, max(rect.width() * 2 // 3, 4), 6)
        faint = QColor(dim)
        faint.setAlphaF(0.15)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(faint)
        painter.drawRoundedRect(bar, 3, 3)

    def _paint_cell(self, painter: QPainter, rect: QRect, column: Column, row: ListRow, text: QColor, dim: QColor,
                    model: object) -> None:  # fmt: skip
        middle = Qt.AlignmentFlag.AlignVCenter
        if column is Column.CHANNEL:
            if row.priority in PRIORITY_COLORS:
                painter.fillRect(
                    QRect(rect.left() - PAD, rect.top() + 2, 3, rect.height() - 4), PRIORITY_COLORS[row.priority]
                )
            label = CHANNEL_SHORT.get(row.channel, row.channel[:2].upper())
            self._badge(painter, rect, label, QColor(CHANNEL_COLORS.get(row.channel, "#777777")))
        elif column is Column.AUTHOR:
            right = rect.right()
            normal = QFont(painter.font())
            followers = fmt.count(row.followers)
            painter.setFont(self._small)
            if followers:
                width = QFontMetrics(self._small).horizontalAdvance(followers)
                painter.setPen(dim)
                painter.drawText(QRect(right - width, rect.top(), width, rect.height()), middle, followers)
                right -= width + 4
            if row.is_kol:
                kol = self.tr("KOL")
                width = self._badge_width(kol)
                self._badge(painter, QRect(right - width, rect.top(), width, rect.height()), kol, KOL_COLOR)
                right -= width + 4
            painter.setFont(normal)
            painter.setPen(text)
            author = row.author if row.direction == "in" else "↩ " + row.author
            box = QRect(rect.left(), rect.top(), right - rect.left(), rect.height())
            self._text(painter, box, author, bold=not row.is_read)
        elif column is Column.TEXT:
            painter.setPen(text if row.direction == "in" else dim)
            self._text(painter, rect, row.excerpt, bold=not row.is_read)
        elif column is Column.ACCOUNT:
            right = rect.right()
            if row.is_leader_account:
                mark = self.tr("Leader")
                width = self._badge_width(mark)
                self._badge(painter, QRect(right - width, rect.top(), width, rect.height()), mark, LEADER_COLOR)
                right -= width + 4
            painter.setPen(dim)
            box = QRect(rect.left(), rect.top(), right - rect.left(), rect.height())
            self._text(painter, box, row.account_name, bold=not row.is_read)
        elif column is Column.AGE:
            now = model.now_ms() if isinstance(model, ItemListModel) else fmt.now_ms()
            painter.setPen(dim)
            painter.drawText(rect, _RIGHT, fmt.age(row.created_at, now))
        elif column is Column.TAGS:
            half = rect.width() // 2
            for n, team in enumerate(("social", "contact_center")):
                slot = QRect(rect.left() + n * half, rect.top(), half - 4, rect.height())
                value = row.tags.get(team)
                label = f"{fmt.team_short(team)} {fmt.tag_name(value)}" if value else fmt.team_short(team)
                if value:
                    self._badge(painter, slot, label, PROMOTE_COLOR if value == "promote" else PROTECT_COLOR, fit=slot)
                else:
                    faint = QColor(dim)
                    faint.setAlphaF(0.3)
                    painter.setPen(faint)
                    painter.setFont(self._small)
                    painter.drawText(slot, middle, label + " –")
        elif column is Column.ASSIGNEE:
            painter.setPen(text if row.assignee else dim)
            self._text(painter, rect, row.assignee or "—", bold=not row.is_read)
        elif column is Column.SLA:
            state = model.sla(row) if isinstance(model, ItemListModel) else None
            if state is None or state.kind is SlaKind.NONE:
                return
            color = SLA_COLORS.get(state.kind)
            painter.setPen(color if color is not None else dim)
            if state.kind is SlaKind.OVERDUE:
                painter.setFont(self._fonts[True])
            self._text(painter, rect, fmt.sla_text(state), bold=state.kind is SlaKind.OVERDUE or not row.is_read)

    def _text(self, painter: QPainter, rect: QRect, text: str, *, bold: bool) -> None:
        """``text`` elided to ``rect`` in the painter's font: the row font, bold or not."""
        width = rect.width()
        if width <= 0:
            return
        key = (text, width, bold)
        elided = self._elided.get(key)
        if elided is None:
            if len(self._elided) >= _ELIDED_KEPT:
                self._elided.clear()  # a few screens' worth; cheaper than keeping an order
            elided = self._elided[key] = painter.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, width)
        painter.drawText(rect, _LEFT_LINE, elided)

    def _badge_width(self, label: str) -> int:
        return QFontMetrics(self._small).horizontalAdvance(label) + 10

    def _badge(self, painter: QPainter, rect: QRect, label: str, color: QColor, *, fit: QRect | None = None) -> None:
        metrics = QFontMetrics(self._small)
        width = self._badge_width(label)
        if fit is not None:
            width = min(width, fit.width())
            label = metrics.elidedText(label, Qt.TextElideMode.ElideRight, max(width - 8, 0))
        height = metrics.height() + 2
        box = QRect(rect.left(), rect.center().y() - height // 2 + 1, width, height)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color)
        painter.drawRoundedRect(box, 4, 4)
        painter.setPen(QColor("#ffffff"))
        painter.setFont(self._small)
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, label)
        painter.restore()
