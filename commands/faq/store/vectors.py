"""The stored sentence vectors of FAQ entries (`faq_vectors`): packed, unpacked, written.

A row holds every vector of one entry as one float32 blob (rows in the order of `texts`), so a
start reads 5,000 entries' vectors in one query and unpacks each with one `frombuffer`, instead
of encoding some 20,000 texts (minutes on a small machine). numpy is imported only here and
only when vectors exist: a bot without the `semantic` extra never has any.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from commands.faq.store.tables import faq_vectors
from commands.faq.values import DocVectors

V = faq_vectors.c


def pack(vectors: DocVectors) -> dict[str, Any] | None:
    """The row values of `vectors` (None when there is nothing to store)."""
    import numpy as np

    texts = list(vectors.by_text)
    if not texts:
        return None
    matrix = np.stack([np.asarray(vectors.by_text[t], dtype=np.float32) for t in texts])
    return {
        "encoder": vectors.encoder,
        "dim": int(matrix.shape[1]),
        "texts": texts,
        "vectors": matrix.astype("<f4").tobytes(),
    }


def unpack(row: Any) -> DocVectors:
    import numpy as np

    matrix = np.frombuffer(row.vectors, dtype="<f4").reshape(len(row.texts), row.dim)
    return DocVectors(row.encoder, dict(zip(row.texts, matrix, strict=True)))


async def read_all(conn: AsyncConnection) -> dict[int, DocVectors]:
    rows = (await conn.execute(select(faq_vectors))).all()
    return {row.entry_id: unpack(row) for row in rows}


async def write(conn: AsyncConnection, entries: Iterable[tuple[int, DocVectors | None]]) -> int:
    """Replace the stored vectors of `entries` (None: forget them); how many rows written."""
    rows: list[dict[str, Any]] = []
    ids: list[int] = []
    for entry_id, vectors in entries:
        ids.append(entry_id)
        packed = pack(vectors) if vectors is not None else None
        if packed is not None:
            rows.append({"entry_id": entry_id, **packed})
    for start in range(0, len(ids), 500):  # bound the IN list (SQLite's parameter limit)
        await conn.execute(faq_vectors.delete().where(V.entry_id.in_(ids[start : start + 500])))
    if rows:
        await conn.execute(faq_vectors.insert(), rows)
    return len(rows)
