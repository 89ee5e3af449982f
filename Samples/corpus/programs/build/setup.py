from setuptools import setup
setup(name="invoices", version="0.3.1", py_modules=[])
