"""The speed layer: message bus, JSON contract, per-aircraft tracking and the batch processor.

Modules: :mod:`~aerolake.stream.bus` (the ``Bus`` protocol, topic names, ``open_bus``),
:mod:`~aerolake.stream.memory_bus` and :mod:`~aerolake.stream.kafka_bus` (implementations),
:mod:`~aerolake.stream.messages` (encode/decode of ``aerolake.states.raw``),
:mod:`~aerolake.stream.tracker` (pure per-aircraft state), :mod:`~aerolake.stream.processor`
(decode -> validate -> track -> enrich) and :mod:`~aerolake.stream.schema` (output table).
Nothing here imports confluent_kafka unless a ``kafka://`` bus is opened.
"""
