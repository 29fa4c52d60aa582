"""Transports the simulator drives the system through, like a real plant: MQTT (UNS), OPC UA, a legacy DB."""
