"""HTTP handlers, one module per resource. Handlers parse, authorise, call a use case, answer."""
