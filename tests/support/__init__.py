"""Real services the tests start themselves (S3 server, push service), imported where used."""
