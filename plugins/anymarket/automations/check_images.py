"""Check images: the images sync_products posted, read back until AnyMarket processed them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from anymarket.automations import Automation

if TYPE_CHECKING:
    from anymarket.settings import IntegrationConfig


def _add_tasks(integration: IntegrationConfig) -> None:
    from anymarket.operators.check_images import AnyMarketCheckImagesOperator

    AnyMarketCheckImagesOperator(task_id="check_images", integration_id=integration.id)


AUTOMATION = Automation(
    name="check_images",
    title="Check images",
    # Every 5 minutes: an image AnyMarket could not process shows up on the ops page within minutes;
    # a run with no image waiting sends nothing.
    default_schedule="*/5 * * * *",
    tags=("catalog",),
    add_tasks=_add_tasks,
    operator="anymarket.operators.check_images",
    helpers=("anymarket.catalog.images",),
    rules=("anymarket.rules.images",),
    state_tables=("image_checks", "product_sync"),
    doc="""
Reads back the images sync_products posted until AnyMarket has processed them. AnyMarket downloads
a posted image later and may fail (`status: ERROR`, e.g. a URL it cannot reach or a format it does
not take, with its reason in `statusMessage`): without this read-back such an image stays silent.
An image in error is recorded with AnyMarket's message, shown on the ops page ("Images AnyMarket
could not process") and in its product's history, and is posted again the next time its product is
sent — after the image (or anything else of the product) changes in the ERP, or when a person runs
sync_products with `product_code`: the broken image is deleted on AnyMarket first.

- **Cost**: one `GET /products/{id}/images` per product with images waiting, read at the earliest
  a minute after they were posted, in the **bulk** lane (README, "Budget lanes"); a run with nothing
  waiting sends no request. A product created with 5 images costs one read-back, usually once.
- **Bounded**: an image is read back at most 5 times; still unprocessed after that, it is shown as
  not confirmed and not asked about again. An image AnyMarket no longer lists is forgotten.
""",
)
