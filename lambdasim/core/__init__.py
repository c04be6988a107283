"""The simulated clock and the invocation model: events, queues, concurrency, retries, environments, statistics.

``lambdasim.core`` imports nothing from the layers above it (:mod:`lambdasim.aws`, :mod:`lambdasim.planning`,
:mod:`lambdasim.testing`). It knows functions as :class:`~lambdasim.core.engine.FunctionState` and the targets they
are invoked on; who created them (a boto3-shaped client, a :class:`~lambdasim.model.Model`) is not its business.
The only module that touches SimPy's private internals is :mod:`lambdasim.core._kernel`.
"""
