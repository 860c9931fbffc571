"""convdesigner: design convolutional encoder/decoder stacks and see their arithmetic live."""

__version__ = "0.1.0"
