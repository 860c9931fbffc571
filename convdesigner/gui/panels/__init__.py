"""The analysis docks: receptive field and parameters, each a table and a chart (chart.py) built after the
window's first frame."""
