"""What every route shares: the dependencies (``deps``) and the one error handler (``errors``)."""
