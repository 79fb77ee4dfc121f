"""The ``/v2`` API, one module per resource family."""
