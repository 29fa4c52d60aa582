"""The long-running plant process (``plantloop demo``): starts, watches and stops the pieces around the
composition root — the paced simulator driving the MES, a local MQTT broker, telemetry publishing, ODS
landing of the outbox and MQTT, the periodic warehouse build and the live metrics fold.

Rooms: ``clock`` (plant time at an accelerated rate), ``broker`` (mosquitto on loopback), ``telemetry``
(simulator telemetry → MQTT), ``pacing`` (the simulator against the plant clock), ``sessions`` (resume:
one epoch per demo session, previous epochs closed through MES commands), ``platform`` (collect, warehouse,
live metrics in one DuckDB file), ``plant_process`` (all of it, started and stopped in order).
"""
