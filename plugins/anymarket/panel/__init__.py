"""AnyMarket's panel: the integration's problems posted where the seller looks first."""
