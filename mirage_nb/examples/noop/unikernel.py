"""Twin of mirage-skeleton tutorial/noop: ``register "noop" []`` has no job, so there is no code to run.

The real example has no unikernel.ml; the boot connects the runtime devices
(argument parsing, logs, clocks) and exits with 0, printing nothing.
"""
