"""Model side of recommend: training, the local TF Serving emulator, the Cloud Run container."""
