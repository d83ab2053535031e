"""The ``spark`` event store: the same triggers, run by Spark SQL on a cluster or in local mode.

Give it the cluster's master URL (``spark://host:7077``, ``yarn``, or ``local[2]`` on one
machine) and where the events are: a table in Spark's catalog, or a folder of Parquet files
with the event store's columns. Trigger SQL is transpiled to Spark's dialect by
``detect.portable``; parameters bind as Spark's named parameters.

Times: the session runs in UTC; bound times are aware datetimes, so Spark receives the
instant itself, and times read back are turned into aware UTC values.

NOTE: pyspark is an optional dependency. Importing this module without it raises a
ConfigError that names the install command.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from churnguard.clock import ensure_utc
from churnguard.detect.eventstore import EventRecord
from churnguard.detect.portable import transpile
from churnguard.errors import ConfigError

try:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql import types as T
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ConfigError("the spark event store needs pyspark; run: pip install pyspark") from exc

SCHEMA = T.StructType([
    T.StructField("id", T.StringType(), False),
    T.StructField("account_id", T.StringType(), False),
    T.StructField("type", T.StringType(), False),
    T.StructField("occurred_at", T.TimestampType(), False),
    T.StructField("quantity", T.DoubleType(), False),
    T.StructField("source", T.StringType(), False),
    T.StructField("properties", T.StringType(), False),
])


def spark_session(master: str, app_name: str = "churnguard-detect", **conf: str) -> SparkSession:
    """Start (or join) a Spark session on ``master`` with the settings the triggers rely on."""
    builder = SparkSession.builder.master(master).appName(app_name)
    settings = {"spark.sql.session.timeZone": "UTC", "spark.ui.enabled": "false",
                "spark.ui.showConsoleProgress": "false", **conf}
    for key, value in settings.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


class SparkEventStore:
    """Events in Spark: a catalog table (``table``), Parquet files (``path``) or, when neither is
    given, an in-memory view that ``add`` fills (local runs and tests)."""

    def __init__(self, master: str, table: str | None = None, path: str | None = None,
                 session: SparkSession | None = None) -> None:
        if table and path:
            raise ConfigError("the spark event store takes a table or a path, not both")
        self.spark = session or spark_session(master)
        self.table, self.path = table, path
        self._frame: DataFrame | None = None
        self._register()

    def _register(self) -> None:
        if self.table:
            frame = self.spark.table(self.table)
        elif self.path:
            frame = self.spark.read.schema(SCHEMA).parquet(self.path)
        else:
            frame = self._frame if self._frame is not None else self.spark.createDataFrame([], SCHEMA)
        frame.createOrReplaceTempView("events")

    def add(self, events: Iterable[EventRecord]) -> int:
        """Append the events whose id is not stored yet; catalog tables are read-only here."""
        if self.table:
            raise ConfigError(f"the spark event store reads table {self.table!r} and does not write it; "
                              "load events with the cluster's own jobs")
        batch = {event.id: event for event in events}
        if not batch:
            return 0

        # Rows sent one by one through py4j are slow; Spark reads a staged file much faster.
        with tempfile.TemporaryDirectory(prefix="churnguard-spark-") as folder:
            staged = Path(folder) / "events.jsonl"
            staged.write_text("".join(_json_line(event) for event in batch.values()), encoding="utf-8")
            incoming = self.spark.read.schema(SCHEMA).option("timestampFormat", _TIME_FORMAT).json(str(staged))
            fresh = incoming if self._empty() else incoming.join(self._ids(), on="id", how="left_anti")
            fresh = fresh.localCheckpoint(eager=True)
        inserted = fresh.count()

        if self.path:
            fresh.write.mode("append").parquet(self.path)
        else:
            self._frame = fresh if self._frame is None else self._frame.unionByName(fresh).localCheckpoint(eager=True)
        self._register()
        return inserted

    def _empty(self) -> bool:
        return self._frame is None and not self.path

    def _ids(self) -> DataFrame:
        return self.spark.table("events").select("id")

    def count(self) -> int:
        return int(self.spark.table("events").count())

    def query(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        spark_sql = transpile(sql, "spark")
        values = {name: _bind(value) for name, value in params.items() if f":{name}" in spark_sql}
        rows = self.spark.sql(spark_sql, args=values).collect()
        return [tuple(_read(value) for value in row) for row in rows]


_TIME_FORMAT = "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX"


def _json_line(event: EventRecord) -> str:
    row = {
        "id": event.id, "account_id": event.account_id, "type": event.type,
        "occurred_at": ensure_utc(event.occurred_at).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00"),
        "quantity": float(event.quantity), "source": event.source,
        "properties": json.dumps(event.properties, sort_keys=True, default=str),
    }
    return json.dumps(row) + "\n"


def _bind(value: Any) -> Any:
    # An aware datetime is converted to Spark's instant without the process's local zone.
    return ensure_utc(value) if isinstance(value, datetime) else value


def _read(value: Any) -> Any:
    # pyspark returns TIMESTAMP values as naive datetimes in the process's local zone.
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.astimezone(timezone.utc)
    return value


__all__ = ["SCHEMA", "SparkEventStore", "spark_session"]
