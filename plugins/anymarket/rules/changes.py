"""What changed since AnyMarket last accepted a row: the comparison send_stock and send_prices share.

Both keep, per entity, the values AnyMarket last accepted and those it last refused. A desired row is
sent when nothing was accepted for its key or a compared value differs, and held back when AnyMarket
refused exactly these values before (it would refuse them again) until one of them changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Changes:
    """The outcome of comparing the desired rows with what AnyMarket last accepted (or refused)."""

    to_send: pd.DataFrame
    unchanged: int
    rejected_unchanged: pd.DataFrame


def select_changes(
    desired: pd.DataFrame,
    sent: pd.DataFrame,
    rejected: pd.DataFrame,
    *,
    key: Sequence[str],
    compared: Sequence[str],
    full_resend: bool = False,
) -> Changes:
    """Rows of ``desired`` AnyMarket must receive; ``full_resend`` sends every row, held-back ones too.

    :param sent: accepted state, columns ``key + compared``.
    :param rejected: refused rows, same columns.
    """
    if full_resend:
        return Changes(desired, 0, desired.iloc[:0])
    same_as_sent = same_values(desired, sent, key=key, compared=compared)
    candidates = desired[~same_as_sent]
    same_as_rejected = same_values(candidates, rejected, key=key, compared=compared)
    return Changes(candidates[~same_as_rejected], int(same_as_sent.sum()), candidates[same_as_rejected])


def same_values(
    rows: pd.DataFrame, state: pd.DataFrame, *, key: Sequence[str], compared: Sequence[str]
) -> np.ndarray:
    """Per row of ``rows``: does ``state`` hold its key with equal ``compared`` values?"""
    if state.empty or rows.empty:
        return np.zeros(len(rows), dtype=bool)
    columns = [*key, *compared]
    merged = rows[columns].merge(state[columns], on=list(key), how="left", suffixes=("", "_was"))
    same = np.ones(len(merged), dtype=bool)
    for column in compared:
        now, was = merged[column], merged[f"{column}_was"]
        # Both missing (e.g. a cost never sent) counts as equal.
        same &= ((now == was) | (now.isna() & was.isna())).to_numpy()
    return same
