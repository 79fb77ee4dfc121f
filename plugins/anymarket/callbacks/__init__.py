"""AnyMarket callbacks (OMS push notifications): the HTTP receiver (:mod:`.app`) and the inbox in the
mapping DB it writes to and the import reads from (:mod:`.inbox`). Light on purpose: the api-server
plugin imports it at start-up."""
