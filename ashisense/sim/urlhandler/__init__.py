"""pyserial URL handlers of AshiSense (registered in ashisense/__init__.py)."""
