"""The seeded discrete-event digital twin of the plant (SimPy).

Rooms: ``scenario`` (configuration, named scenarios, random streams), ``erp`` (order feed), ``orders``
(work-order mirror with the MES conventions), ``calendar`` (shifts), ``materials`` (purchased lots),
``plant`` (shared state, commands, dispatch lists), ``equipment`` (one process per machine), ``faults``
(failures, quality causes, ground truth), ``telemetry`` (vectorised signals), ``events`` and ``dirty``
(the connector stream), ``policies`` (dispatch and maintenance rules), ``kpis`` and ``run`` (the entry
point :func:`plantloop.sim.run.run_simulation`), ``gateway`` (the port to the MES and its twin).
"""
