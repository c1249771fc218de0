"""The local library ``hello`` (twin of hello/hello.ml)."""

hello = "Hello!"
