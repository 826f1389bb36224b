"""The store's JSON columns (orjson): what goes in comes back, on a real SQLite file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sqlalchemy import JSON, Column, Integer, MetaData, Table, select

from tagwire.store.engine import make_engine


def test_json_columns_round_trip_through_orjson(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'j.db'}")
    rows = Table("rows", MetaData(), Column("id", Integer, primary_key=True), Column("v", JSON))
    rows.metadata.create_all(engine)
    values = [
        {"said": 0.1, "élection": 1e-9, "n": [1, 2]},
        [3, 5, 8],
        {1: "a"},  # a non-string key becomes a string, as with json.dumps
        {"x": np.float32(0.5), "y": np.int64(3)},  # numpy scalars become numbers
        None,
    ]
    with engine.begin() as conn:
        conn.execute(rows.insert(), [{"id": i, "v": v} for i, v in enumerate(values)])
    with engine.connect() as conn:
        back = [r.v for r in conn.execute(select(rows.c.v).order_by(rows.c.id))]
    assert back == [values[0], values[1], {"1": "a"}, {"x": 0.5, "y": 3}, None]
    engine.dispose()
