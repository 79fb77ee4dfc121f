"""Check images: read back the images sync_products posted until AnyMarket has processed them."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from anymarket.operators.base import AnyMarketBaseOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

    from anymarket.summary import RunSummary

#: AnyMarket is asked about an image this long after it was posted at the earliest (it downloads
#: it in the meantime); a read too early only costs a request that settles nothing.
SETTLE_SECONDS = 60.0
#: Reads of one image before it is left ``UNCONFIRMED`` (with the schedule: about 25 minutes).
MAX_CHECKS = 5


class AnyMarketCheckImagesOperator(AnyMarketBaseOperator):
    """The operator of the image read-back.

    What it does, for the person running it: :mod:`anymarket.automations.check_images`.

    Inside: :meth:`anymarket.catalog.images.ImageChecks.read_back` over the ``image_checks`` rows
    the product sync wrote (:class:`~anymarket.catalog.sync.ProductSyncer`), with
    :func:`anymarket.rules.images.image_outcome` deciding each image.

    :param settle_seconds: how old a posted image must be before it is read back
        (:data:`SETTLE_SECONDS`).
    :param max_checks: reads of one image before it is left unconfirmed (:data:`MAX_CHECKS`).
    Other parameters: the base operator's (:class:`~anymarket.operators.base.AnyMarketBaseOperator`).
    """

    automation = "check_images"
    lane = "bulk"
    ui_color = "#e6d9f2"

    def __init__(
        self, *, settle_seconds: float = SETTLE_SECONDS, max_checks: int = MAX_CHECKS, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        if settle_seconds < 0 or max_checks < 1:
            raise ValueError(
                f"check_images needs settle_seconds >= 0 and max_checks >= 1 (got {settle_seconds!r}, "
                f"{max_checks!r})"
            )
        self.settle_seconds = settle_seconds
        self.max_checks = max_checks

    def run(self, context: Context, summary: RunSummary) -> None:
        from anymarket.catalog.images import ImageChecks
        from anymarket.mapping.database import utcnow

        checks = ImageChecks(self.mapping, self.integration.id)
        settle = timedelta(seconds=self.settle_seconds)
        waiting = checks.waiting(settled_before=utcnow() - settle)
        summary.count("images_error", 0)
        if not waiting:
            return
        progress = self.track_progress(what="products", total=len(waiting))
        checks.read_back(
            hook=self.hook,
            summary=summary,
            record_history=self.record_history,
            settle=settle,
            max_checks=self.max_checks,
            advance=progress.advance,
        )
