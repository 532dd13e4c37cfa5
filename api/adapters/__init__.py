"""The outside world behind small interfaces: PostGIS cluster, object storage, push, events."""
