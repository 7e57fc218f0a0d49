"""The Docker-free local stack: embedded AWS (moto), HTTP API emulator, SQS poller, pipe."""
