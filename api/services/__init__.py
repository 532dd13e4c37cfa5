"""Use cases: one function per thing a person does, wiring domain rules to the database."""
