"""Pure rules of Tanggap 112: no I/O, no SQLAlchemy, no Litestar. Tested in milliseconds."""
