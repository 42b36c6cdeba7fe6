from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fundtrack.core.i18n import _l
from fundtrack.core.models import status_check
from fundtrack.extensions import db

#: level -> Chinese name, as the export spreadsheets write it (a file contract: stays Chinese)
LEVELS = {
    "province": "省",  # zh-only: export spreadsheets
    "prefecture": "市州",  # zh-only: export spreadsheets
    "county": "县市区",  # zh-only: export spreadsheets
    "township": "乡镇",  # zh-only: export spreadsheets
}
#: level -> name for the pages, in the reader's language
LEVEL_LABELS = {
    "province": _l("省"),
    "prefecture": _l("市州"),
    "county": _l("县市区"),
    "township": _l("乡镇"),
}
#: Depth of each level in the tree; allocations never go below a county.
LEVEL_DEPTH = {"province": 0, "prefecture": 1, "county": 2, "township": 3}


class Region(db.Model):
    __tablename__ = "regions"
    __versioned__ = {}
    __table_args__ = (status_check("level", LEVELS),)

    #: GB/T 2260 code as it stood in 2017–2018, e.g. 430481 耒阳市
    code: Mapped[str] = mapped_column(sa.String(6), primary_key=True)
    #: official Chinese name
    name: Mapped[str] = mapped_column(sa.Unicode(64))
    #: province, prefecture, county or township
    level: Mapped[str] = mapped_column(sa.String(16))
    #: the region directly above; NULL only for the province
    parent_code: Mapped[str | None] = mapped_column(
        sa.ForeignKey("regions.code"), index=True, default=None
    )

    parent: Mapped[Region | None] = relationship(remote_side=[code], back_populates="children")
    children: Mapped[list[Region]] = relationship(back_populates="parent", order_by="Region.code")

    @property
    def depth(self) -> int:
        return LEVEL_DEPTH[self.level]

    @property
    def level_label(self) -> str:
        return str(LEVEL_LABELS[self.level])

    def __repr__(self) -> str:
        return f"<Region {self.code} {self.name}>"
