"""`python -m serving.emulator`: serve SavedModels over TensorFlow Serving's REST API."""

from serving.emulator.cli import main

raise SystemExit(main())
