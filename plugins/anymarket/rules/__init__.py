"""Rules: pure functions (pandas or plain Python, no I/O) that decide what an automation sends.

One module per automation that has pure rules (``send_stock``, ``send_prices``) and ``changes``, the
comparison with what AnyMarket last accepted that both share. Nothing here imports a hook, a
database or an operator, so every rule can be tested table-driven without a server.
"""
