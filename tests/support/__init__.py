"""Helpers shared by several test packages: fakes, builders, stack fixtures."""
