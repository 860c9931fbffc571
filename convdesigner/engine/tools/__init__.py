"""Encoder/decoder tools: mirror, solve, valid input sizes."""
