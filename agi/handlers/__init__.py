"""AGI handlers, one module each; the FastAGI path is the handler's name (agi://host/ivr)."""
