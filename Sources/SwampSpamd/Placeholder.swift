// The spamd protocol codec.
