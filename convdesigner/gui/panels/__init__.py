"""The analysis docks: receptive field and parameters, each a table with a lazily loaded pyqtgraph plot."""
