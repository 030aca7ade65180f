"""Voice-over libraries in one command: ``facemotion batch INPUTS -o OUTDIR``.

- :mod:`~facemotion.batch.lines`: the voice lines of a folder or of a manifest CSV (a studio's localisation table);
- :mod:`~facemotion.batch.ledger`: which lines are finished, so that an interrupted batch resumes where it stopped;
- :mod:`~facemotion.batch.run`: each line animated and exported, in this process, on local worker processes or on a
  Dask cluster (``dask.distributed``), files read and written through fsspec URLs.
"""
